/// What `lmb mapping explain` and `lmb mapping check` show: each combination of a settlement, the rule that books
/// it and where that rule comes from — read from the store or straight from a file, never importing it.
public struct CombinationExplanation: Sendable, Equatable {
    public var transactionType: String
    public var amountType: String
    public var amountDescription: String
    /// Rows over every month the settlement spans.
    public var rows: Int
    public var amountMinor: Int64
    /// Nil when no rule matches and the mapping waits for one.
    public var match: MappingMatch?

    public var isUnmapped: Bool { match == nil || match?.source == .unmappedPolicy }

    public var unmapped: UnmappedCombination {
        UnmappedCombination(transactionType: transactionType, amountType: amountType, amountDescription: amountDescription,
                            count: rows, amountMinor: amountMinor)
    }
}

/// A settlement as `explain` and `check` see it.
public struct ExplainedSettlement: Sendable {
    public var id: String
    public var marketplace: String
    public var currency: Currency
    public var combinations: [CombinationExplanation]

    public var unmapped: [CombinationExplanation] { combinations.filter(\.isUnmapped) }
}

extension Mapping {
    /// One explanation per distinct combination (a settlement's groups are per month too), in report order.
    public func explain(_ groups: [SettlementGroup]) -> [CombinationExplanation] {
        var order: [String] = []
        var byKey: [String: CombinationExplanation] = [:]
        for g in groups {
            let key = "\(g.transactionType)\u{1F}\(g.amountType)\u{1F}\(g.amountDescription)"
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = CombinationExplanation(transactionType: g.transactionType, amountType: g.amountType, amountDescription: g.amountDescription,
                                                    rows: 0, amountMinor: 0, match: resolve(g))
            }
            byKey[key]!.rows += g.count
            byKey[key]!.amountMinor += g.amountMinor
        }
        return order.map { byKey[$0]! }.sorted {
            ($0.transactionType, $0.amountType, $0.amountDescription) < ($1.transactionType, $1.amountType, $1.amountDescription)
        }
    }

    public func explain(_ s: ParsedSettlement) -> ExplainedSettlement {
        ExplainedSettlement(id: s.header.id, marketplace: AmazonMarketplace.name(format: s.header.format, currency: s.header.currency, reported: s.marketplace),
                            currency: s.header.currencyInfo, combinations: explain(s.groups))
    }

    public func explain(_ s: StoredSettlement) -> ExplainedSettlement {
        ExplainedSettlement(id: s.header.id, marketplace: AmazonMarketplace.name(format: s.header.format, currency: s.header.currency, reported: s.marketplace),
                            currency: s.header.currencyInfo, combinations: explain(s.groups))
    }

    /// The settlements a file holds, read as preview reads them and stored nowhere: one for an Amazon report, one
    /// per payout for an Etsy statement.
    public static func settlements(inFile path: String) throws -> [ParsedSettlement] {
        try InputFile.check(path)
        if SettlementFormat.detect(path: path) == .etsy { return try EtsyStatementParser(path: path).parse().map(\.settlement) }
        if let payouts = try ChannelExports.parse(path: path, format: SettlementFormat.detect(path: path)) { return payouts.map(\.settlement) }
        return [try SettlementParser(path: path).parse(hashContent: false)]
    }
}
