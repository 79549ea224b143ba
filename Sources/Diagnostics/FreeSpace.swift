import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Free space on the file system holding a folder, for disk-full messages.
public enum FreeSpace {
    /// Bytes available to this user, or nil when the folder cannot be examined.
    public static func bytes(atFolder folder: String) -> Int64? {
        var s = statvfs()
        guard statvfs(folder.isEmpty ? "." : folder, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    /// "1.5 MiB free in /mnt/x".
    public static func describe(_ folder: String) -> String {
        guard let b = bytes(atFolder: folder) else { return "free space in \(folder) unknown" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(b), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        let amount = unit == 0 ? "\(b) bytes" : String(format: "%.1f", value) + " " + units[unit]
        return "\(amount) free in \(folder)"
    }
}
