import Foundation

/// The Reports API 2021-06-30 definitions lmb reads, named as in Amazon's model (reports_2021-06-30.json).
public enum ReportsAPI {
    public static let version = "2021-06-30"
    /// The only settlement report type that stays after 2026-11-11.
    public static let settlementReportType = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

    /// `processingStatus`: a new value from Amazon decodes instead of failing the whole page.
    public struct ProcessingStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(rawValue)
        }
        public var description: String { rawValue }

        public static let cancelled = ProcessingStatus(rawValue: "CANCELLED")
        public static let done = ProcessingStatus(rawValue: "DONE")
        public static let fatal = ProcessingStatus(rawValue: "FATAL")
        public static let inProgress = ProcessingStatus(rawValue: "IN_PROGRESS")
        public static let inQueue = ProcessingStatus(rawValue: "IN_QUEUE")
    }

    /// `Report`
    public struct Report: Codable, Sendable, Equatable {
        public var reportId: String
        public var reportType: String
        public var createdTime: Date
        public var processingStatus: ProcessingStatus
        public var marketplaceIds: [String]?
        public var dataStartTime: Date?
        public var dataEndTime: Date?
        public var reportScheduleId: String?
        public var processingStartTime: Date?
        public var processingEndTime: Date?
        /// Only when `processingStatus` is DONE.
        public var reportDocumentId: String?

        public init(reportId: String, reportType: String, createdTime: Date, processingStatus: ProcessingStatus,
                    marketplaceIds: [String]? = nil, dataStartTime: Date? = nil, dataEndTime: Date? = nil,
                    reportScheduleId: String? = nil, processingStartTime: Date? = nil, processingEndTime: Date? = nil,
                    reportDocumentId: String? = nil) {
            self.reportId = reportId
            self.reportType = reportType
            self.createdTime = createdTime
            self.processingStatus = processingStatus
            self.marketplaceIds = marketplaceIds
            self.dataStartTime = dataStartTime
            self.dataEndTime = dataEndTime
            self.reportScheduleId = reportScheduleId
            self.processingStartTime = processingStartTime
            self.processingEndTime = processingEndTime
            self.reportDocumentId = reportDocumentId
        }
    }

    /// `GetReportsResponse`
    public struct GetReportsResponse: Codable, Sendable, Equatable {
        public var reports: [Report]
        /// To be sent as the only parameter of the next getReports.
        public var nextToken: String?

        public init(reports: [Report], nextToken: String? = nil) {
            self.reports = reports
            self.nextToken = nextToken
        }
    }

    /// `ReportDocument`
    public struct ReportDocument: Codable, Sendable, Equatable {
        public var reportDocumentId: String
        /// Pre-signed, valid for 5 minutes; it is a credential, so it is never logged.
        public var url: String
        /// `GZIP` or absent.
        public var compressionAlgorithm: String?

        public init(reportDocumentId: String, url: String, compressionAlgorithm: String? = nil) {
            self.reportDocumentId = reportDocumentId
            self.url = url
            self.compressionAlgorithm = compressionAlgorithm
        }
    }

    /// `Error`
    public struct APIError: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var details: String?
    }

    /// `ErrorList`
    public struct ErrorList: Codable, Sendable, Equatable {
        public var errors: [APIError]
    }

    /// Reads Amazon's dates: ISO 8601 with or without fractional seconds, `Z` or an offset.
    public static func date(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    /// `2026-03-01T00:00:00Z`, the form getReports' `createdSince` takes.
    public static func dateText(_ date: Date) -> String {
        Date.ISO8601FormatStyle().format(date)
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { d in
            let c = try d.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = ReportsAPI.date(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not an ISO 8601 date-time")
            }
            return date
        }
        return decoder
    }
}
