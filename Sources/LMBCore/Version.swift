public enum LMBVersion { public static let current = "0.1.0" }
