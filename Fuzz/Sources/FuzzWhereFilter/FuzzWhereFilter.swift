import Catalog
import FuzzSupport

// --where parser: any text gives a filter or a FilterError (never a crash or unbounded recursion), and
// an accepted filter renders with exactly one bound value per placeholder.
private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, count), as: UTF8.self)
    expectOnly(FilterError.self, from: "--where parser") {
        let filter = try CatalogFilter(text)
        let (sql, values) = filter.sqlAndValues()
        let placeholders = sql.filter { $0 == "?" }.count
        precondition(placeholders == values.count, "placeholders and bound values differ")
        precondition(!sql.contains(";") && !sql.contains("--") && !sql.contains("'"), "literal text reached the SQL")
    }
    return 0
}

@_cdecl("FuzzWhereFilter_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
