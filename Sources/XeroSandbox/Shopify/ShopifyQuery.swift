import Foundation

/// Runs the queries a payouts client needs against the emulator's data. The query shapes accepted:
///
///     query {                                   # or `query Name($after: String, $first: Int = 50) { … }`
///       shopifyPaymentsAccount {
///         id activated country defaultCurrency balance { amount currencyCode }
///         payouts(first: 50, after: $after, query: "status:PAID issued_at:>=2024-10-01", reverse: false,
///                 sortKey: ISSUED_AT) {
///           pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
///           nodes { id legacyResourceId issuedAt status transactionType externalTraceId
///                   net { amount currencyCode } gross { … } summary { chargesGross { … } chargesFee { … } … } }
///           edges { cursor node { …as nodes… } }
///         }
///         balanceTransactions(first: 250, after: $after, query: "payments_transfer_id:600000001", hideTransfers: false) {
///           pageInfo { … }
///           nodes { id type amount { … } fee { … } net { … } transactionDate test sourceId sourceType
///                   sourceOrderTransactionId adjustmentReason associatedOrder { id name } associatedPayout { id status } }
///           edges { cursor node { … } }
///         }
///       }
///     }
///
/// Aliases and `__typename` work anywhere. Paging is forward only (`first`, at most 250, with `after`); `last`/`before`
/// are refused. Payout `query` filters: `status`, `issued_at`, `id`, `currency`; balance-transaction filters:
/// `payments_transfer_id`, `payout_date`, `payout_status`, `processed_at`, `transaction_type`, `id`, `currency`
/// (each `field:value`, with `>`, `>=`, `<`, `<=` on dates and ids; terms joined by spaces or AND). Other filter fields
/// are ignored with a warning in `extensions.search`, as Shopify does. Sort keys: ISSUED_AT/ID (payouts),
/// PROCESSED_AT/ID (balance transactions).
/// Cost: 1 for the account, 2 + `first` for each connection requested; the actual cost counts what came back.
struct ShopifyQuery {
    var operation: GQLOperation
    var variables: [String: Any]

    /// Object types and their fields; a field whose type is not listed here is a scalar or enum.
    static let schema: [String: [String: String]] = {
        let money = "MoneyV2"
        let summaryFields = ["adjustmentsFee", "adjustmentsGross", "advanceFees", "advanceGross", "chargesFee", "chargesGross",
                             "refundsFee", "refundsFeeGross", "reservedFundsFee", "reservedFundsGross", "retriedPayoutsFee",
                             "retriedPayoutsGross", "usdcRebateCreditAmount"]
        return [
            "QueryRoot": ["shopifyPaymentsAccount": "ShopifyPaymentsAccount"],
            "ShopifyPaymentsAccount": ["id": "ID", "activated": "Boolean", "country": "String", "defaultCurrency": "CurrencyCode",
                                       "balance": money, "payouts": "ShopifyPaymentsPayoutConnection",
                                       "balanceTransactions": "ShopifyPaymentsBalanceTransactionConnection"],
            "ShopifyPaymentsPayoutConnection": ["edges": "ShopifyPaymentsPayoutEdge", "nodes": "ShopifyPaymentsPayout",
                                                "pageInfo": "PageInfo"],
            "ShopifyPaymentsPayoutEdge": ["cursor": "String", "node": "ShopifyPaymentsPayout"],
            "ShopifyPaymentsBalanceTransactionConnection": ["edges": "ShopifyPaymentsBalanceTransactionEdge",
                                                            "nodes": "ShopifyPaymentsBalanceTransaction", "pageInfo": "PageInfo"],
            "ShopifyPaymentsBalanceTransactionEdge": ["cursor": "String", "node": "ShopifyPaymentsBalanceTransaction"],
            "PageInfo": ["hasNextPage": "Boolean", "hasPreviousPage": "Boolean", "startCursor": "String", "endCursor": "String"],
            "ShopifyPaymentsPayout": ["id": "ID", "legacyResourceId": "UnsignedInt64", "issuedAt": "DateTime", "net": money,
                                      "gross": money, "status": "ShopifyPaymentsPayoutStatus",
                                      "transactionType": "ShopifyPaymentsPayoutTransactionType", "externalTraceId": "String",
                                      "summary": "ShopifyPaymentsPayoutSummary"],
            "ShopifyPaymentsPayoutSummary": Dictionary(uniqueKeysWithValues: summaryFields.map { ($0, money) }),
            "MoneyV2": ["amount": "Decimal", "currencyCode": "CurrencyCode"],
            "ShopifyPaymentsBalanceTransaction": [
                "id": "ID", "type": "ShopifyPaymentsTransactionType", "amount": money, "fee": money, "net": money,
                "transactionDate": "DateTime", "test": "Boolean", "sourceId": "BigInt", "sourceType": "ShopifyPaymentsSourceType",
                "sourceOrderTransactionId": "BigInt", "adjustmentReason": "String",
                "associatedOrder": "ShopifyPaymentsAssociatedOrder",
                "associatedPayout": "ShopifyPaymentsBalanceTransactionAssociatedPayout"],
            "ShopifyPaymentsAssociatedOrder": ["id": "ID", "name": "String"],
            "ShopifyPaymentsBalanceTransactionAssociatedPayout": ["id": "ID", "status": "ShopifyPaymentsBalanceTransactionPayoutStatus"],
        ]
    }()

    static let connectionArguments: Set<String> = ["first", "after", "last", "before", "reverse", "sortKey", "query", "savedSearchId"]

    func argument(_ field: GQLField, _ name: String) -> GQLValue? {
        field.arguments[name]?.resolved(variables, operation.variableDefaults)
    }

    static func error(_ message: String, _ field: GQLField?, path: [String]? = nil, code: String? = nil,
                      extra: [String: Any] = [:]) -> [String: Any] {
        var e: [String: Any] = ["message": message]
        if let field { e["locations"] = [["line": field.line, "column": field.column]] }
        if let path { e["path"] = path }
        var ext = extra
        if let code { ext["code"] = code }
        if !ext.isEmpty { e["extensions"] = ext }
        return e
    }

    // MARK: Validation (before anything runs or is charged)

    mutating func validate() -> [[String: Any]]? {
        var errors: [[String: Any]] = []
        func check(_ fields: [GQLField], on type: String, path: [String]) {
            let known = Self.schema[type] ?? [:]
            for f in fields {
                let p = path + [f.responseKey]
                if f.name == "__typename" { continue }
                guard let fieldType = known[f.name] else {
                    errors.append(Self.error("Field '\(f.name)' doesn't exist on type '\(type)'", f, path: p, code: "undefinedField",
                                             extra: ["typeName": type, "fieldName": f.name]))
                    continue
                }
                let isObject = Self.schema[fieldType] != nil
                if isObject, f.selections.isEmpty {
                    errors.append(Self.error("Field must have selections (field '\(f.name)' returns \(fieldType) but has no selections. Did you mean '\(f.name) { ... }'?)", f, path: p, code: "selectionMismatch"))
                } else if !isObject, !f.selections.isEmpty {
                    errors.append(Self.error("Selections can't be made on scalars (field '\(f.name)' returns \(fieldType) but has selections [\(f.selections.map(\.name).joined(separator: ", "))])", f, path: p, code: "selectionMismatch"))
                }
                let isConnection = fieldType.hasSuffix("Connection")
                let allowed: Set<String> = isConnection
                    ? Self.connectionArguments.union(f.name == "payouts" ? ["transactionType"] : ["hideTransfers"]) : []
                for name in f.arguments.keys.sorted() where !allowed.contains(name) {
                    errors.append(Self.error("Field '\(f.name)' doesn't accept argument '\(name)'", f, path: p, code: "argumentNotAccepted",
                                             extra: ["name": f.name, "typeName": "Field", "argumentName": name]))
                }
                if isConnection {
                    if argument(f, "last") != nil || argument(f, "before") != nil {
                        errors.append(Self.error("The sandbox's Shopify emulator pages forward only: use first and after", f, path: p))
                    }
                    switch argument(f, "first") {
                    case .int(let n)?:
                        if n < 0 || n > 250 {
                            errors.append(Self.error("The maximum number of items that can be requested is 250; `first` was \(n)", f, path: p, code: "MAX_PAGE_SIZE_EXCEEDED"))
                        }
                    case nil, .null?:
                        errors.append(Self.error("you must provide one of first or last", f, path: p))
                    default:
                        errors.append(Self.error("Argument 'first' on Field '\(f.name)' has an invalid value. Expected type 'Int'.", f, path: p, code: "argumentLiteralsIncompatible"))
                    }
                    if let after = argument(f, "after") {
                        switch after {
                        case .null: break
                        case .string(let s) where Self.cursorID(s) != nil: break
                        default: errors.append(Self.error("Invalid cursor for current pagination.", f, path: p))
                        }
                    }
                }
                check(f.selections, on: fieldType, path: p)
            }
        }
        check(operation.selections, on: "QueryRoot", path: [])
        return errors.isEmpty ? nil : errors
    }

    // MARK: Cost

    func requestedCost() -> Int {
        func cost(_ fields: [GQLField], _ type: String) -> Int {
            fields.reduce(0) { sum, f in
                guard let fieldType = Self.schema[type]?[f.name], Self.schema[fieldType] != nil else { return sum }
                if fieldType.hasSuffix("Connection") {
                    if case .int(let n)? = argument(f, "first") { return sum + 2 + n }
                    return sum + 2
                }
                // Objects inside a connection's nodes are counted by the connection's `first`.
                return sum + (type == "QueryRoot" ? 1 + cost(f.selections, fieldType) : 0)
            }
        }
        return cost(operation.selections, "QueryRoot")
    }

    // MARK: Execution

    struct Result {
        var data: Any
        var errors: [[String: Any]]
        var actualCost: Int
        var searchWarnings: [[String: Any]]
    }

    func execute(state: ShopifyState, scopes: Set<String>) -> Result {
        var errors: [[String: Any]] = []
        var warnings: [[String: Any]] = []
        var actual = 0
        var data: [String: Any] = [:]
        for root in operation.selections {
            if root.name == "__typename" { data[root.responseKey] = "QueryRoot"; continue }
            // root.name == "shopifyPaymentsAccount" (validated)
            actual += 1
            guard scopes.contains("read_shopify_payments_accounts") else {
                errors.append(Self.error("Access denied for shopifyPaymentsAccount field. Required access: the `read_shopify_payments` or the `read_shopify_payments_accounts` access scope.", root, path: [root.responseKey], code: "ACCESS_DENIED", extra: ["documentation": "https://shopify.dev/api/usage/access-scopes", "requiredAccess": "`read_shopify_payments_accounts` access scope."]))
                data[root.responseKey] = NSNull()
                continue
            }
            var account: [String: Any] = [:]
            var nulled = false
            for f in root.selections {
                switch f.name {
                case "payouts", "balanceTransactions":
                    guard scopes.contains("read_shopify_payments_payouts") else {
                        // The connection is non-null, so its null takes the (nullable) account with it.
                        errors.append(Self.error("Access denied for \(f.name) field. Required access: `read_shopify_payments_payouts` access scope.", f, path: [root.responseKey, f.responseKey], code: "ACCESS_DENIED", extra: ["documentation": "https://shopify.dev/api/usage/access-scopes", "requiredAccess": "`read_shopify_payments_payouts` access scope."]))
                        nulled = true
                        continue
                    }
                    let (connection, count, warning) = f.name == "payouts" ? payouts(f, state) : balanceTransactions(f, state)
                    actual += 2 + count
                    if let warning { warnings.append(warning.merging(["path": [root.responseKey, f.responseKey]]) { $1 }) }
                    account[f.responseKey] = Self.project(connection, f.selections)
                default:
                    let currency = state.payouts.first?.currency ?? "USD"
                    let full: [String: Any] = [
                        "__typename": "ShopifyPaymentsAccount", "id": ShopifyFormat.gid("ShopifyPaymentsAccount", 1),
                        "activated": true, "country": "US", "defaultCurrency": currency,
                        "balance": [ShopifyFormat.money(0, currency)],
                    ]
                    account[f.responseKey] = Self.project(full[f.name] ?? NSNull(), f.selections, key: f.name)
                }
            }
            data[root.responseKey] = nulled ? NSNull() : account
        }
        return Result(data: data, errors: errors, actualCost: actual, searchWarnings: warnings)
    }

    /// The requested part of a value: dictionaries keep the selected fields (under their aliases), lists map.
    static func project(_ value: Any, _ selections: [GQLField], key: String? = nil) -> Any {
        if selections.isEmpty { return value }
        if let list = value as? [Any] { return list.map { project($0, selections) } }
        guard let object = value as? [String: Any] else { return value }
        var out: [String: Any] = [:]
        for s in selections {
            out[s.responseKey] = project(object[s.name] ?? NSNull(), s.selections)
        }
        return out
    }

    // MARK: Connections

    static func cursor(_ id: Int64) -> String { Data("{\"last_id\":\(id)}".utf8).base64EncodedString() }

    static func cursorID(_ cursor: String) -> Int64? {
        guard let data = Data(base64Encoded: cursor),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        return (object["last_id"] as? NSNumber)?.int64Value
    }

    /// One page of `items` (already filtered and sorted) after the `after` cursor, as a connection.
    func page<T>(_ items: [T], id: (T) -> Int64, node: (T) -> [String: Any], _ f: GQLField, typeName: String) -> ([String: Any], Int) {
        var start = 0
        if case .string(let cursor)? = argument(f, "after"), let last = Self.cursorID(cursor) {
            start = (items.firstIndex { id($0) == last }.map { $0 + 1 }) ?? items.count
        }
        var first = 0
        if case .int(let n)? = argument(f, "first") { first = n }
        let end = min(items.count, start + first)
        let slice = start < end ? Array(items[start..<end]) : []
        let edges = slice.map { ["__typename": typeName + "Edge", "cursor": Self.cursor(id($0)), "node": node($0)] as [String: Any] }
        let pageInfo: [String: Any] = [
            "__typename": "PageInfo", "hasNextPage": end < items.count, "hasPreviousPage": start > 0,
            "startCursor": slice.first.map { Self.cursor(id($0)) as Any } ?? NSNull(),
            "endCursor": slice.last.map { Self.cursor(id($0)) as Any } ?? NSNull(),
        ]
        return (["__typename": typeName + "Connection", "edges": edges, "nodes": slice.map(node), "pageInfo": pageInfo], slice.count)
    }

    func reversed(_ f: GQLField) -> Bool { if case .bool(true)? = argument(f, "reverse") { return true }; return false }

    func payouts(_ f: GQLField, _ state: ShopifyState) -> ([String: Any], Int, [String: Any]?) {
        let search = ShopifySearch(argument(f, "query"))
        var warned: [String] = []
        var items = state.payouts.filter { payout in
            for term in search.terms {
                switch term.field {
                case "status": if !term.matches(text: payout.status) { return false }
                case "issued_at": if !term.matches(date: payout.issuedAt) { return false }
                case "id": if !term.matches(number: payout.id) { return false }
                case "currency": if !term.matches(text: payout.currency) { return false }
                default: if !warned.contains(term.field) { warned.append(term.field) }
                }
            }
            return true
        }
        if case .enumValue(let type)? = argument(f, "transactionType") { items = items.filter { $0.transactionType == type } }
        if case .enumValue("ID")? = argument(f, "sortKey") {
            items.sort { $0.id < $1.id }
        } else {
            items.sort { ($0.issuedAt, $0.id) < ($1.issuedAt, $1.id) }
        }
        if reversed(f) { items.reverse() }
        let (connection, count) = page(items, id: \.id, node: Self.payoutNode, f, typeName: "ShopifyPaymentsPayout")
        return (connection, count, search.warning(warned))
    }

    func balanceTransactions(_ f: GQLField, _ state: ShopifyState) -> ([String: Any], Int, [String: Any]?) {
        let search = ShopifySearch(argument(f, "query"))
        var warned: [String] = []
        let hideTransfers: Bool = { if case .bool(true)? = argument(f, "hideTransfers") { return true }; return false }()
        var items = state.allTransactions.filter { (t, payout) in
            if hideTransfers, t.type == "TRANSFER" { return false }
            for term in search.terms {
                switch term.field {
                case "payments_transfer_id": if !term.matches(number: payout.id) { return false }
                case "payout_date": if !term.matches(date: payout.issuedAt) { return false }
                case "payout_status": if !term.matches(text: payout.status) { return false }
                case "processed_at": if !term.matches(date: t.date) { return false }
                case "transaction_type": if !term.matches(text: t.type) { return false }
                case "id": if !term.matches(number: t.id) { return false }
                case "currency": if !term.matches(text: t.currency) { return false }
                default: if !warned.contains(term.field) { warned.append(term.field) }
                }
            }
            return true
        }
        if case .enumValue("ID")? = argument(f, "sortKey") {
            items.sort { $0.0.id < $1.0.id }
        } else {
            items.sort { ($0.0.date, $0.0.id) < ($1.0.date, $1.0.id) }
        }
        if reversed(f) { items.reverse() }
        let (connection, count) = page(items, id: { $0.0.id }, node: { Self.transactionNode($0.0, $0.1, state) }, f,
                                       typeName: "ShopifyPaymentsBalanceTransaction")
        return (connection, count, search.warning(warned))
    }

    // MARK: Nodes

    static func payoutNode(_ p: ShopifyPayout) -> [String: Any] {
        let c = p.currency
        func sum(_ types: Set<String>, _ value: (ShopifyBalanceTransaction) -> Decimal) -> Decimal {
            p.transactions.filter { types.contains($0.type) }.reduce(0) { $0 + value($1) }
        }
        let charges: Set<String> = ["CHARGE"]
        let refunds: Set<String> = ["REFUND", "REFUND_FAILURE"]
        let reserves: Set<String> = ["RESERVED_FUNDS", "RESERVED_FUNDS_WITHDRAWAL", "RESERVED_FUNDS_REVERSAL"]
        let retried: Set<String> = ["TRANSFER_FAILURE", "TRANSFER_CANCEL"]
        let advances: Set<String> = ["ADVANCE", "ADVANCE_FUNDING"]
        let others = Set(p.transactions.map(\.type)).subtracting(charges).subtracting(refunds).subtracting(reserves)
            .subtracting(retried).subtracting(advances)
        let summary: [String: Any] = [
            "__typename": "ShopifyPaymentsPayoutSummary",
            "chargesGross": ShopifyFormat.money(sum(charges, \.amount), c), "chargesFee": ShopifyFormat.money(sum(charges, \.fee), c),
            "refundsFeeGross": ShopifyFormat.money(sum(refunds, \.amount), c), "refundsFee": ShopifyFormat.money(sum(refunds, \.fee), c),
            "adjustmentsGross": ShopifyFormat.money(sum(others, \.amount), c), "adjustmentsFee": ShopifyFormat.money(sum(others, \.fee), c),
            "reservedFundsGross": ShopifyFormat.money(sum(reserves, \.amount), c),
            "reservedFundsFee": ShopifyFormat.money(sum(reserves, \.fee), c),
            "retriedPayoutsGross": ShopifyFormat.money(sum(retried, \.amount), c),
            "retriedPayoutsFee": ShopifyFormat.money(sum(retried, \.fee), c),
            "advanceGross": ShopifyFormat.money(sum(advances, \.amount), c), "advanceFees": ShopifyFormat.money(sum(advances, \.fee), c),
            "usdcRebateCreditAmount": ShopifyFormat.money(0, c),
        ]
        return [
            "__typename": "ShopifyPaymentsPayout", "id": ShopifyFormat.gid("ShopifyPaymentsPayout", p.id),
            "legacyResourceId": String(p.id), "issuedAt": ShopifyFormat.dateTime(p.issuedAt),
            "net": ShopifyFormat.money(p.net, c), "gross": ShopifyFormat.money(p.net, c), "status": p.status,
            "transactionType": p.transactionType, "externalTraceId": "SANDBOX\(p.id)", "summary": summary,
        ]
    }

    static func transactionNode(_ t: ShopifyBalanceTransaction, _ p: ShopifyPayout, _ state: ShopifyState) -> [String: Any] {
        let c = t.currency
        var order: Any = NSNull()
        if let name = t.orderName, let id = state.orderIDs[name] {
            order = ["__typename": "ShopifyPaymentsAssociatedOrder", "id": ShopifyFormat.gid("Order", id), "name": name]
        }
        let isAdjustment = t.sourceType == "ADJUSTMENT" || t.sourceType == "SYSTEM_ADJUSTMENT"
        return [
            "__typename": "ShopifyPaymentsBalanceTransaction", "id": ShopifyFormat.gid("ShopifyPaymentsBalanceTransaction", t.id),
            "type": t.type, "amount": ShopifyFormat.money(t.amount, c), "fee": ShopifyFormat.money(t.fee, c),
            "net": ShopifyFormat.money(t.net, c), "transactionDate": ShopifyFormat.dateTime(t.date), "test": t.test,
            "sourceId": t.sourceID.map { String($0) as Any } ?? NSNull(),
            "sourceType": t.sourceType.map { $0 as Any } ?? NSNull(),
            "sourceOrderTransactionId": t.orderName == nil ? NSNull() : String(t.id + 5_000_000_000) as Any,
            "adjustmentReason": isAdjustment ? "adjustment" as Any : NSNull(),
            "associatedOrder": order,
            "associatedPayout": ["__typename": "ShopifyPaymentsBalanceTransactionAssociatedPayout",
                                 "id": ShopifyFormat.gid("ShopifyPaymentsPayout", p.id), "status": p.status],
        ]
    }
}

/// Shopify's search syntax, the part the filters above need: `field:value` terms, optionally quoted, with `>`, `>=`,
/// `<`, `<=` after the colon, joined by spaces or `AND`.
struct ShopifySearch {
    struct Term {
        var field: String
        var comparator: String   // "=", ">", ">=", "<", "<="
        var value: String

        func matches(text: String) -> Bool { comparator == "=" && text.caseInsensitiveCompare(value) == .orderedSame }

        func matches(number: Int64) -> Bool {
            let digits = value.split(separator: "/").last.map(String.init) ?? value
            guard let n = Int64(digits) else { return false }
            return compare(number, n)
        }

        func matches(date: Date) -> Bool {
            guard let bound = SandboxEngine.parseISO8601(value) else { return false }
            if comparator == "=" {
                // A bare date matches that whole day (UTC); a date-time matches the instant.
                return value.count == 10 ? (date >= bound && date < bound.addingTimeInterval(86400)) : date == bound
            }
            // `<=` a bare date takes in that whole day.
            if comparator == "<=", value.count == 10 { return date < bound.addingTimeInterval(86400) }
            return compare(date, bound)
        }

        func compare<T: Comparable>(_ a: T, _ b: T) -> Bool {
            switch comparator {
            case ">": return a > b
            case ">=": return a >= b
            case "<": return a < b
            case "<=": return a <= b
            default: return a == b
            }
        }
    }

    var raw: String?
    var terms: [Term] = []

    init(_ value: GQLValue?) {
        guard case .string(let text)? = value else { return }
        raw = text
        var words: [String] = []
        var current = "", quoted = false
        for c in text {
            if c == "\"" || c == "'" { quoted.toggle(); continue }
            if c == " ", !quoted { if !current.isEmpty { words.append(current) }; current = ""; continue }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        for word in words where word != "AND" {
            guard let colon = word.firstIndex(of: ":") else { continue }
            let field = String(word[..<colon]).lowercased()
            var rest = String(word[word.index(after: colon)...])
            var comparator = "="
            for c in [">=", "<=", ">", "<"] where rest.hasPrefix(c) {
                comparator = c
                rest.removeFirst(c.count)
                break
            }
            terms.append(Term(field: field, comparator: comparator, value: rest))
        }
    }

    func warning(_ fields: [String]) -> [String: Any]? {
        guard !fields.isEmpty, let raw else { return nil }
        return ["query": raw, "warnings": fields.map { ["field": $0, "message": "Invalid search field for this query."] }]
    }
}
