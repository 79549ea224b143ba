import CVectorKernels

extension VectorIndex {
    /// Which bodies of the scoring kernels run on this CPU (for benchmark reports).
    public static var kernelDescription: String { avk_simd_level() == 1 ? "AVX2+FMA+F16C" : "portable C" }
}

/// Test hooks for the C kernels: run the portable bodies instead of the AVX2 ones, so both are
/// compared against the same slow twins on a machine that has AVX2.
enum KernelDispatch {
    static func forcePortable(_ on: Bool) { avk_force_portable(on ? 1 : 0) }
    static var simd: Bool { avk_simd_level() == 1 }
}
