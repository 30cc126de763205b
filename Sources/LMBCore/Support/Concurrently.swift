import Foundation

/// Work on many independent clients (selling accounts, organisations) at once, at most `jobs` at a time, the
/// results in the order of the input whatever order they finish in.
public enum Concurrently {
    public static func map<T: Sendable, R: Sendable>(_ items: [T], jobs: Int,
                                                     _ work: @escaping @Sendable (T) async -> R) async -> [R] {
        let limit = max(1, jobs)
        if items.count <= 1 || limit == 1 {
            var out: [R] = []
            for item in items { out.append(await work(item)) }
            return out
        }
        return await withTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            func start(_ i: Int) {
                let item = items[i]
                group.addTask { (i, await work(item)) }
            }
            while next < min(limit, items.count) { start(next); next += 1 }
            while let (i, r) = await group.next() {
                results[i] = r
                if next < items.count { start(next); next += 1 }
            }
            return results.compactMap { $0 }
        }
    }
}

/// What a run shows while it works on several clients: on a terminal a line per running client, on a pipe a line per
/// finished one. Only used when a run has more than one client.
public protocol ClientBoard: Sendable {
    func started(_ client: String)
    func update(_ client: String, _ text: String)
    func finished(_ client: String, _ line: String)
    func finish()
}
