import Foundation
import NumPyFormat
import Testing
import TestSupport
import VectorIndex

/// `vectors build --fp16` and `--kind ivf --sq8` through the CLI: what the user sees (info, search
/// output files, verify, export) and that every write command keeps the storage kind.
@Suite("audio-index vectors: --fp16 and --sq8 storage end to end")
struct VectorsCompressedCommandTests {
    func write(_ values: [Float], rows: Int, _ dir: TemporaryFolder, _ name: String) throws -> String {
        try NPY.write(NPYArray(shape: [rows, values.count / rows], float32: values), to: URL(fileURLWithPath: dir.path(name)))
        return dir.path(name)
    }

    func writeIDs(_ ids: [Int64], _ dir: TemporaryFolder, _ name: String) throws -> String {
        try NPY.write(NPYArray(shape: [ids.count], int64: ids), to: URL(fileURLWithPath: dir.path(name)))
        return dir.path(name)
    }

    func info(_ idx: String) throws -> [String: Any] {
        let r = try CLI.run(["vectors", "info", idx, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// Runs `vectors search` and reads both output files.
    func search(_ idx: String, _ queries: String, k: Int, nprobe: Int? = nil, allow: String? = nil,
                _ dir: TemporaryFolder) throws -> (ids: [Int64], scores: [Float]) {
        var args = ["vectors", "search", idx, "--queries", queries, "-k", "\(k)", "--out-ids", dir.path("I.npy"), "--out-scores", dir.path("S.npy")]
        if let nprobe { args += ["--nprobe", "\(nprobe)"] }
        if let allow { args += ["--allow-ids", allow] }
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let ids = try #require(try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("I.npy"))).int64Values())
        let scores = try #require(try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("S.npy"))).float32Values())
        return (ids, scores)
    }

    /// The issue-5 rule against the library's slow twin of the same index (flat: over the stored
    /// rows; IVF: over the union of the probed lists), with every candidate's twin score for near-ties.
    func ruleProblem(_ found: (ids: [Int64], scores: [Float]), index: VectorIndex, queries: [Float], k: Int,
                     nprobe: Int? = nil, allowed: Set<Int64>? = nil) -> String? {
        let twin = index.referenceSearch(queries: queries, k: k, allowedIDs: allowed, nprobe: nprobe)
        let all = index.referenceSearch(queries: queries, k: index.liveCount, allowedIDs: allowed, nprobe: nprobe)
        let candidates = (0..<all.queryCount).map { q in
            Dictionary(zip(all.ids(ofQuery: q), all.scores(ofQuery: q)).filter { $0.0 != -1 }.map { ($0.0, [$0.1]) }, uniquingKeysWith: +)
        }
        return IssueFiveRule.problem(ids: found.ids, scores: found.scores, twinIDs: twin.ids, twinScores: twin.scores, k: k, allScores: candidates)
    }

    @Test("""
        build --fp16: info says float16; search equals the twin over the stored halves under the issue-5 rule and no returned \
        id is worse than the float32 brute force's k-th by more than twice the float16 bound; verify ok; export writes the halves \
        widened to float32; add, remove, compact and retrain keep float16
        """)
    func float16() throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: 501)
        let n = 300, d = 24, k = 7
        let vectors = rng.unitVectors(n, d)
        let base = try write(vectors, rows: n, dir, "base.npy")
        let idx32 = dir.path("idx32"), idx16 = dir.path("idx16")
        #expect(try CLI.run(["vectors", "build", base, "--out", idx32]).status == 0)
        let built = try CLI.run(["vectors", "build", base, "--out", idx16, "--fp16"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try info(idx32)["storage"] as? String == "float32")
        let meta = try info(idx16)
        #expect(meta["storage"] as? String == "float16" && meta["sq8_lists"] as? Bool == false && meta["live"] as? Int == n)
        #expect(try CLI.run(["vectors", "info", idx16]).stdout.contains("storage: float16\n"))
        // Half the vector bytes of the float32 index (same ids, same headers).
        let bytes32 = try #require(try info(idx32)["segment_bytes"] as? Int), bytes16 = try #require(meta["segment_bytes"] as? Int)
        #expect(bytes32 - bytes16 >= n * d * 2 - 512, "\(bytes32) vs \(bytes16)")

        let index16 = try VectorIndex.open(directory: URL(fileURLWithPath: idx16))
        let index32 = try VectorIndex.open(directory: URL(fileURLWithPath: idx32))
        let allowed: Set<Int64> = Set((0..<60).map { _ in Int64.random(in: 0..<Int64(n), using: &rng) })
        let allowFile = try writeIDs(Array(allowed).sorted(), dir, "allow.npy")
        // 1 query (the SIMD scan) and 12 (the sgemm path), with and without a filter.
        for nq in [1, 12] {
            let queries = rng.unitVectors(nq, d)
            let q = try write(queries, rows: nq, dir, "q\(nq).npy")
            for filter in [nil, allowed] {
                let found = try search(idx16, q, k: k, allow: filter == nil ? nil : allowFile, dir)
                let problem = ruleProblem(found, index: index16, queries: queries, k: k, allowed: filter)
                #expect(problem == nil, "nq \(nq) filter \(filter != nil): \(problem ?? "")")
                if let filter { #expect(found.ids.allSatisfy { filter.contains($0) }) }
                // Against float32 brute force: any returned id scores (in float32) at least the true k-th
                // minus twice the float16 bound (the true top-k lose at most one bound, a returned row at most one).
                let exact = index32.referenceSearch(queries: queries, k: n, allowedIDs: filter)
                for qi in 0..<nq {
                    let query = Array(queries[(qi * d)..<((qi + 1) * d)])
                    let bound = (0..<n).map { VectorIndex.float16ScoreErrorBound(query: query, stored: index16.storedVector(id: Int64($0))!, metric: .ip) }.max()!
                    let exactScore = Dictionary(uniqueKeysWithValues: zip(exact.ids(ofQuery: qi), exact.scores(ofQuery: qi)).filter { $0.0 != -1 })
                    let kth = exact.scores(ofQuery: qi)[exact.scores(ofQuery: qi).startIndex + k - 1]
                    for id in found.ids[(qi * k)..<((qi + 1) * k)] {
                        let s = try #require(exactScore[id])
                        #expect(s >= kth - 2 * bound - 1e-6, "query \(qi) id \(id): float32 score \(s), k-th \(kth), bound \(bound)")
                    }
                }
            }
        }

        let verified = try CLI.run(["vectors", "verify", idx16])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("ok: generation 1, 1 segment(s)"), "\(verified.stdout)\(verified.stderr)")

        // Export: the stored halves, widened exactly to float32, in id order (.npy and faiss's flat layout).
        let halves = vectors.map { Float(Float16($0)) }
        #expect(try CLI.run(["vectors", "export", idx16, "--npy", dir.path("live.npy")]).status == 0)
        let exported = try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("live.npy")))
        #expect(exported.dtype.rawValue == "<f4" && exported.shape == [n, d] && exported.float32Values() == halves)
        #expect(try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("live_ids.npy"))).int64Values() == (0..<Int64(n)).map { $0 })
        #expect(try CLI.run(["vectors", "export", idx16, "--faiss", dir.path("x.faiss")]).status == 0)
        let faiss = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path("x.faiss"))))
        let floatsAt = 4 + 33 + 4 + 33 + 8   // "IxMp" + header, "IxFI" + header, float count
        #expect(faiss.count == floatsAt + 4 * n * d + 8 + 8 * n)
        #expect(Array(faiss[0..<4]) == Array("IxMp".utf8) && Array(faiss[37..<41]) == Array("IxFI".utf8))
        let faissFloats = (0..<(n * d)).map { i in Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(faiss[floatsAt + 4 * i + $1]) << (8 * UInt32($1)) }) }
        #expect(faissFloats == halves)

        // Writes keep float16.
        let more = try write(rng.unitVectors(20, d), rows: 20, dir, "more.npy")
        #expect(try CLI.run(["vectors", "add", idx16, more]).status == 0)
        #expect(try CLI.run(["vectors", "remove", idx16, "--ids", try writeIDs([2, 305], dir, "gone.npy")]).status == 0)
        var after = try info(idx16)
        #expect(after["storage"] as? String == "float16" && after["segments"] as? Int == 2 && after["live"] as? Int == n + 18)
        #expect(try CLI.run(["vectors", "compact", idx16]).status == 0)
        after = try info(idx16)
        #expect(after["storage"] as? String == "float16" && after["segments"] as? Int == 1 && after["live"] as? Int == n + 18)
        let compacted = try VectorIndex.open(directory: URL(fileURLWithPath: idx16))
        let queries = rng.unitVectors(9, d)
        let found = try search(idx16, try write(queries, rows: 9, dir, "q9.npy"), k: k, dir)
        #expect(ruleProblem(found, index: compacted, queries: queries, k: k) == nil)
        #expect(!found.ids.contains(2) && !found.ids.contains(305))
        #expect(try CLI.run(["vectors", "verify", idx16]).status == 0)
        let retrained = try CLI.run(["vectors", "retrain", idx16, "--nlist", "4"])
        #expect(retrained.status == 0, "\(retrained.stderr)")
        after = try info(idx16)
        #expect(after["storage"] as? String == "float16" && after["kind"] as? String == "ivf" && after["nlist"] as? Int == 4)
        #expect(try CLI.run(["vectors", "verify", idx16]).status == 0)
    }

    @Test("""
        build --kind ivf --sq8: info shows the SQ8 lists; batched search equals the IVF twin under the issue-5 rule, single \
        queries report exact float32 scores with recall ≥ 0.9 against the IVF twin at the same nprobe; verify ok and a \
        flipped code fails it; export equals the float IVF's; add, remove, compact and retrain keep the codes
        """)
    func sq8() throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: 502)
        let n = 800, d = 16, k = 5, nprobe = 3
        let base = try write(rng.clusteredUnitVectors(n, d, clusters: 24), rows: n, dir, "base.npy")
        let ivf = dir.path("ivf"), sq8 = dir.path("sq8")
        #expect(try CLI.run(["vectors", "build", base, "--out", ivf, "--kind", "ivf", "--nlist", "12", "--seed", "4"]).status == 0)
        let built = try CLI.run(["vectors", "build", base, "--out", sq8, "--kind", "ivf", "--nlist", "12", "--seed", "4", "--sq8"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try info(ivf)["sq8_lists"] as? Bool == false)
        let meta = try info(sq8)
        #expect(meta["sq8_lists"] as? Bool == true && meta["storage"] as? String == "float32" && meta["nlist"] as? Int == 12)
        #expect(try CLI.run(["vectors", "info", sq8]).stdout.contains("storage: float32 + SQ8 list codes"))
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: sq8))
        #expect(index.centroids == (try VectorIndex.open(directory: URL(fileURLWithPath: ivf))).centroids)

        // Batched (sgemm over the float vectors of the probed lists): the IVF twin under the rule.
        let queries = rng.clusteredUnitVectors(10, d, clusters: 24)
        let batch = try search(sq8, try write(queries, rows: 10, dir, "q10.npy"), k: k, nprobe: nprobe, dir)
        let problem = ruleProblem(batch, index: index, queries: queries, k: k, nprobe: nprobe)
        #expect(problem == nil, "\(problem ?? "")")
        // Single queries scan the codes and re-rank 4·k rows exactly.
        var hits = 0
        for qi in 0..<6 {
            let query = Array(queries[(qi * d)..<((qi + 1) * d)])
            let one = try search(sq8, try write(query, rows: 1, dir, "one.npy"), k: k, nprobe: nprobe, dir)
            // k = n makes the twin probe every list: the exact score of every row.
            let all = index.referenceSearch(queries: query, k: n, nprobe: nprobe)
            let exact = Dictionary(uniqueKeysWithValues: zip(all.ids, all.scores).filter { $0.0 != -1 })
            for (id, s) in zip(one.ids, one.scores) {
                let e = try #require(exact[id], "query \(qi): id \(id) is not a live row")
                #expect(abs(s - e) <= 1e-6 * max(1, abs(e)), "query \(qi) id \(id): \(s) vs exact \(e)")
            }
            #expect(zip(one.scores, one.scores.dropFirst()).allSatisfy { $0 >= $1 }, "descending")
            hits += Set(one.ids).intersection(index.referenceSearch(queries: query, k: k, nprobe: nprobe).ids).count
        }
        #expect(Double(hits) / Double(6 * k) >= 0.9, "recall@\(k) of SQ8 + re-rank against the IVF twin: \(hits)/\(6 * k)")

        #expect(try CLI.run(["vectors", "verify", sq8]).status == 0)
        // Export drops the codes: the same file as the float IVF built with the same seed.
        for (source, name) in [(ivf, "a"), (sq8, "b")] {
            #expect(try CLI.run(["vectors", "export", source, "--faiss", dir.path("\(name).faiss")]).status == 0)
            #expect(try CLI.run(["vectors", "export", source, "--npy", dir.path("\(name).npy")]).status == 0)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("a.faiss"))) == Data(contentsOf: URL(fileURLWithPath: dir.path("b.faiss"))))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("a.npy"))) == Data(contentsOf: URL(fileURLWithPath: dir.path("b.npy"))))

        // Writes keep the codes.
        #expect(try CLI.run(["vectors", "add", sq8, try write(rng.clusteredUnitVectors(40, d, clusters: 24), rows: 40, dir, "more.npy")]).status == 0)
        #expect(try CLI.run(["vectors", "remove", sq8, "--ids", try writeIDs([0, 810], dir, "gone.npy")]).status == 0)
        #expect(try info(sq8)["sq8_lists"] as? Bool == true)
        #expect(try CLI.run(["vectors", "compact", sq8]).status == 0)
        var after = try info(sq8)
        #expect(after["sq8_lists"] as? Bool == true && after["segments"] as? Int == 1 && after["live"] as? Int == n + 38)
        let retrained = try CLI.run(["vectors", "retrain", sq8, "--nlist", "6"])
        #expect(retrained.status == 0, "\(retrained.stderr)")
        after = try info(sq8)
        #expect(after["sq8_lists"] as? Bool == true && after["nlist"] as? Int == 6)
        let reopened = try VectorIndex.open(directory: URL(fileURLWithPath: sq8))
        let again = try search(sq8, dir.path("q10.npy"), k: k, nprobe: nprobe, dir)
        #expect(ruleProblem(again, index: reopened, queries: queries, k: k, nprobe: nprobe) == nil)
        #expect(!again.ids.contains(0) && !again.ids.contains(810))
        #expect(try CLI.run(["vectors", "verify", sq8]).status == 0)

        // A flipped SQ8 code: verify names the section (exit 4); --sq8 without --kind ivf is a usage error.
        // (Every segment file still in the folder: older generations' files may remain beside the current one.)
        for seg in try FileManager.default.contentsOfDirectory(atPath: sq8) where seg.hasSuffix(".vseg") {
            let url = URL(fileURLWithPath: sq8).appendingPathComponent(seg)
            var b = [UInt8](try Data(contentsOf: url))
            b[b.count - 3] ^= 0x10   // the codes are the last section
            try Data(b).write(to: url)
        }
        let broken = try CLI.run(["vectors", "verify", sq8])
        #expect(broken.status == 4 && broken.stderr.contains("SQ8 codes"), "\(broken.stderr)")
        #expect(try CLI.run(["vectors", "build", base, "--out", dir.path("flat-sq8"), "--sq8"]).status == 2)
    }
}
