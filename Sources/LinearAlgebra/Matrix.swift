/// A dense matrix of `rows × columns` scalars.
///
/// Layout, stated once for the whole package: **row-major and compact**, element (r, c) is
/// `values[r * columns + c]`, the same as a C-ordered NumPy array of shape `(rows, columns)`.
/// Every kernel in LinearAlgebra and DSP takes and returns this layout.
///
/// Members are `@inlinable` so they are specialised for `Float`/`Double` in the calling module;
/// unspecialised generic array code costs more than the FFTs in the log-mel front end.
public struct Matrix<Scalar: BinaryFloatingPoint & Sendable>: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public var values: [Scalar]

    @inlinable
    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "a \(rows)×\(columns) matrix needs \(rows * columns) values, got \(values.count)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    @inlinable
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        self.init(rows: rows, columns: columns, values: [Scalar](repeating: value, count: rows * columns))
    }

    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// One row as an array (a copy).
    @inlinable
    public func row(_ r: Int) -> [Scalar] { Array(values[(r * columns)..<((r + 1) * columns)]) }

    /// Rows `range` as a new matrix (a copy).
    @inlinable
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, columns: columns, values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    @inlinable
    public var transposed: Matrix {
        var out = Matrix(rows: columns, columns: rows)
        for r in 0..<rows {
            for c in 0..<columns { out.values[c * rows + r] = values[r * columns + c] }
        }
        return out
    }
}

extension Matrix where Scalar: BLASScalar {
    /// `self · other` through BLAS (`[m×k] · [k×n] → [m×n]`).
    @inlinable
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(columns == other.rows, "cannot multiply \(rows)×\(columns) by \(other.rows)×\(other.columns)")
        var out = Matrix(rows: rows, columns: other.columns)
        if rows == 0 || other.columns == 0 { return out }
        if columns == 0 { return out }
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(transA: false, transB: false, m: rows, n: other.columns, k: columns,
                                alpha: 1, a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
                                beta: 0, c: c.baseAddress!, ldc: other.columns)
                }
            }
        }
        return out
    }
}
