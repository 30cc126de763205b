import Foundation

/// `lmb mapping add`: a rule written into the home's mapping.json without the user editing JSON, and the stored
/// settlements that were waiting for it looked at again.
public struct RuleAddition: Sendable {
    public enum Action: String, Sendable { case added, replaced }

    public var action: Action
    public var rule: MappingRule
    public var file: String
    /// Settlements that needed mapping before the rule and are ready now.
    public var nowReady: [String]
    /// Settlements that still need mapping, with how many combinations each still lacks.
    public var stillNeedsMapping: [(id: String, combinations: Int)]
    /// Unsent settlements in which the new rule now books at least one combination.
    public var matchedIn: [String]
}

extension Mapping {
    /// The home's own mapping file as it stands, for editing: an absent file is an empty one (only the user's own
    /// rules are ever written, over the built-in defaults).
    public static func homeFile(_ home: LMBHome) throws -> Mapping {
        FileManager.default.fileExists(atPath: home.mappingPath) ? try load(file: home.mappingPath) : Mapping()
    }

    /// This mapping with a rule added, or replacing the home rule of the same three patterns (compared as the
    /// rules compare: case-insensitively). Refused, naming the rules, when it would tie or cannot be read.
    public func adding(_ rule: MappingRule) throws -> (Mapping, RuleAddition.Action) {
        var next = self
        next.version = Mapping.currentVersion
        let same = rules.firstIndex { $0.patterns.map { MappingPattern.fold($0.source) } == rule.patterns.map { MappingPattern.fold($0.source) } }
        if let same { next.rules[same] = rule } else { next.rules.append(rule) }
        try next.validate()
        return (next, same == nil ? .added : .replaced)
    }

    /// Adds a rule to the home's mapping.json (created when absent), written atomically, and says what it changed
    /// for the stored settlements. The file is unchanged when the rule is refused.
    public static func addRule(_ rule: MappingRule, home: LMBHome, store: Store?) throws -> RuleAddition {
        let before = try homeFile(home)
        let (after, action) = try before.adding(rule)
        try home.ensureExists()
        try after.write(to: home.mappingPath)
        var addition = RuleAddition(action: action, rule: rule, file: home.mappingPath, nowReady: [], stillNeedsMapping: [], matchedIn: [])
        guard let store else { return addition }
        let index = after.rules.firstIndex(of: rule)
        for s in try store.allSettlements() {
            let old = try Booking(store: store, mapping: before).book(s)
            let new = try Booking(store: store, mapping: after).book(s)
            let status = s.status(ledger: new)
            guard status != .sent else { continue }
            if old.needsMapping && !new.needsMapping { addition.nowReady.append(s.header.id) }
            if new.needsMapping { addition.stillNeedsMapping.append((s.header.id, new.unmapped.count)) }
            if let index, s.groups.contains(where: { after.match($0)?.source == .home(index) }) { addition.matchedIn.append(s.header.id) }
        }
        return addition
    }
}
