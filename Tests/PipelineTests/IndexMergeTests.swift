import Catalog
import Foundation
@testable import Pipeline
import Testing
import TestSupport
import VectorIndex

#if canImport(Glibc)
import Glibc
#endif

/// The corpus of IndexBuildTests (dog, rain, dog-again = dog's bytes, broken, bell), built once as
/// a whole and once as 3 parts through the Slurm array script (SLURM_ARRAY_TASK_ID = 0, 1, 2).
/// Manifest lines modulo 3: part 0 = dog, broken (fails); part 1 = rain, bell; part 2 = dog-again,
/// so dog's audio is in parts 0 and 2 (a cross-part duplicate). Merges only read the parts, so
/// every test shares them.
struct MergeFixture: Sendable {
    let corpus: Corpus
    let whole: String
    let parts: [String]
    let partRuns: [CLI.Result]
    var work: URL { corpus.folder.appendingPathComponent("slurm") }

    static let cluster = Fixtures.packageRoot.appendingPathComponent("Scripts/cluster")
    static let shared = Result { try MergeFixture() }

    init() throws {
        corpus = try Corpus()
        let folder = corpus.folder
        atexit { if case .success(let f) = MergeFixture.shared { f.corpus.remove() } }
        whole = corpus.index("whole")
        _ = try corpus.build(whole)
        let work = folder.appendingPathComponent("slurm")
        partRuns = try (0..<3).map { i in
            try Self.script(Self.cluster.appendingPathComponent("slurm-build.sbatch"), env: [
                "SLURM_ARRAY_TASK_ID": "\(i)", "SLURM_ARRAY_TASK_COUNT": "3",
                "AUDIO_INDEX_MANIFEST": folder.appendingPathComponent("clips.jsonl").path,
            ].merging(Self.environment(work: work)) { a, _ in a })
        }
        parts = (0..<3).map { work.appendingPathComponent("parts/part-\($0)").path }
    }

    /// What every script run gets: the tool, the tiny model, the shared folder.
    static func environment(work: URL) -> [String: String] {
        ["AUDIO_INDEX_BIN": CLI.executable.path, "AUDIO_INDEX_MODEL": Corpus.model, "AUDIO_INDEX_WORK": work.path]
    }

    /// Runs a bash script with exactly `env` (plus PATH and HOME): no scheduler variable of the
    /// test's own environment leaks in.
    static func script(_ script: URL, env: [String: String], in folder: URL? = nil) throws -> CLI.Result {
        let base = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        let assignments = base.merging(env) { _, b in b }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["-i"] + assignments + ["bash", script.path], in: folder)
    }

    func merge(_ out: String, _ extra: [String] = [], parts: [String]? = nil, crashAt: String? = nil) throws -> CLI.Result {
        let args = ["merge", "--out", out] + extra + (parts ?? self.parts)
        guard let crashAt else { return try CLI.run(args) }
        return try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["AUDIO_INDEX_CRASH_AT=\(crashAt)", CLI.executable.path] + args)
    }

    func out(_ name: String) -> String { corpus.folder.appendingPathComponent("merged-\(name)").path }
}

/// The Python that parses YAML: `AUDIO_INDEX_PYTHON` (CI's venv), else the local reference venv.
func yamlPython() -> String? {
    let python = ProcessInfo.processInfo.environment["AUDIO_INDEX_PYTHON"] ?? "/work/refenv/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python),
          let r = try? CLI.run(executable: URL(fileURLWithPath: python), ["-c", "import yaml"]), r.status == 0 else { return nil }
    return python
}

@Suite("merge: sharded builds joined into one index equal to a single-process build", .serialized)
struct IndexMergeTests {
    @Test("the Slurm array body (SLURM_ARRAY_TASK_ID 0…2) then the merge body: the same clips, failures and vectors as one build; verify, query, info, export, build and add work on the result")
    func slurm() throws {
        let f = try MergeFixture.shared.get()
        for (i, r) in f.partRuns.enumerated() {
            #expect(r.status == 0, "part \(i): \(r.stderr)")
            #expect(r.stderr.contains("--shard \(i)/3"), "\(r.stderr)")
        }
        #expect(f.partRuns[0].stderr.contains("some clips failed"))  // build exited 1, the task 0
        let sbatch = try String(contentsOf: MergeFixture.cluster.appendingPathComponent("slurm-build.sbatch"), encoding: .utf8)
        #expect(sbatch.contains("#SBATCH --array=0-") && sbatch.contains("build-part.sh") && sbatch.contains("--dependency=afterok"))
        let m = try MergeFixture.script(MergeFixture.cluster.appendingPathComponent("slurm-merge.sbatch"), env: MergeFixture.environment(work: f.work))
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stdout.contains("merge: 3 parts, 4 clips added (1 sharing another clip's vector), 3 vectors, 1 failures"), "\(m.stdout)")
        let merged = f.work.appendingPathComponent("index").path
        #expect(try IndexSnapshot(merged) == IndexSnapshot(f.whole))

        let v = try CLI.run(["verify", "--index", merged])
        #expect(v.status == 0 && v.stdout.contains("consistent"), "\(v.stdout)\(v.stderr)")
        let info = try CLI.run(["info", "--index", merged])
        #expect(info.stdout.contains("inputs: manifest \(f.corpus.manifest.path)\n") && info.stdout.contains("failures: 1"), "\(info.stdout)")
        let q = try CLI.run(["query", "--index", merged, "--audio", f.corpus.folder.appendingPathComponent("dog.wav").path, "-k", "1", "--format", "json"])
        let hit = try #require(try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any], "\(q.stderr)")
        #expect(hit["ids"] as? [String] == ["dog", "dog-again"] && (hit["score"] as? Double ?? 0) >= 0.9999)
        let export = try CLI.run(["export", "--index", merged, "--out", f.corpus.folder.appendingPathComponent("export").path])
        #expect(export.status == 0 && export.stdout.contains("3 vectors"), "\(export.stderr)")
        // the single-process command, run on the merged index, finds everything done
        let rebuild = try f.corpus.build(merged)
        #expect(rebuild.status == 0 && rebuild.stdout.contains("0 embedded, 0 duplicates, 0 failed"), "\(rebuild.stdout)\(rebuild.stderr)")
        // add (same audio under folder ids): every clip shares an existing vector; broken.wav fails
        let add = try CLI.run(["add", "--index", merged, "--model", Corpus.model, "--dir", f.corpus.folder.path])
        #expect(add.status == 1 && add.stdout.contains("0 embedded"), "\(add.stdout)\(add.stderr)")
        #expect(try IndexQuery(index: IndexDirectory(merged)).verify().isEmpty)
    }

    @Test("the Kubernetes manifest parses; the Indexed Job's container command with JOB_COMPLETION_INDEX 0…2, then the merge Job's: the same index as one build")
    func kubernetes() throws {
        guard let python = yamlPython() else {
            // CI must run this test: a missing PyYAML there is a failure, not a skip.
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI is set but no Python with PyYAML was found (set AUDIO_INDEX_PYTHON)")
            return
        }
        let f = try MergeFixture.shared.get()
        let yaml = MergeFixture.cluster.appendingPathComponent("k8s-indexed-job.yaml")
        let extract = """
            import json, sys, yaml
            docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
            config = next(d for d in docs if d['kind'] == 'ConfigMap')['data']
            def job(d):
                pod = d['spec']['template']['spec']
                c = pod['containers'][0]
                env = dict(config)
                env.update({e['name']: e['value'] for e in c.get('env', [])})
                claims = {v['name']: v['persistentVolumeClaim']['claimName'] for v in pod['volumes']}
                return {'name': d['metadata']['name'], 'step': d['metadata']['labels']['step'],
                        'mode': d['spec'].get('completionMode'), 'completions': d['spec'].get('completions'),
                        'parallelism': d['spec'].get('parallelism'), 'command': c['command'] + c.get('args', []),
                        'workingDir': c['workingDir'], 'env': env,
                        'mounts': {m['mountPath']: claims[m['name']] for m in c['volumeMounts']}}
            print(json.dumps({'kinds': [d['kind'] for d in docs], 'jobs': [job(d) for d in docs if d['kind'] == 'Job']}))
            """
        let parsed = try CLI.run(executable: URL(fileURLWithPath: python), ["-c", extract, yaml.path])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        #expect(doc["kinds"] as? [String] == ["PersistentVolumeClaim", "ConfigMap", "Job", "Job"])
        let jobs = try #require(doc["jobs"] as? [[String: Any]])
        let build = try #require(jobs.first { $0["step"] as? String == "build" })
        let merge = try #require(jobs.first { $0["step"] as? String == "merge" })
        let buildEnv = try #require(build["env"] as? [String: String]), mergeEnv = try #require(merge["env"] as? [String: String])
        // an Indexed Job with one completion per part; both jobs see the work folder on one claim
        #expect(build["mode"] as? String == "Indexed")
        #expect(build["completions"] as? Int == Int(buildEnv["AUDIO_INDEX_PARTS"] ?? "") && build["parallelism"] as? Int == build["completions"] as? Int)
        #expect(mergeEnv["AUDIO_INDEX_PARTS"] == buildEnv["AUDIO_INDEX_PARTS"])
        let buildMounts = try #require(build["mounts"] as? [String: String]), mergeMounts = try #require(merge["mounts"] as? [String: String])
        let work = try #require(buildEnv["AUDIO_INDEX_WORK"])
        let workMount = try #require(buildMounts.keys.first { work.hasPrefix($0 + "/") })
        #expect(mergeMounts[workMount] == buildMounts[workMount])
        // the same bodies as the Slurm scripts, run from the image's copy of this repository
        let buildCommand = try #require(build["command"] as? [String]), mergeCommand = try #require(merge["command"] as? [String])
        #expect(buildCommand == ["bash", "Scripts/cluster/build-part.sh"] && mergeCommand == ["bash", "Scripts/cluster/merge-parts.sh"])
        #expect(build["workingDir"] as? String == merge["workingDir"] as? String)

        // Run them here: the package root stands in for workingDir, the corpus for the ConfigMap's.
        let k8sWork = f.corpus.folder.appendingPathComponent("k8s")
        func local(_ env: [String: String]) -> [String: String] {
            var e = env.filter { !["AUDIO_INDEX_SHARDS", "AUDIO_INDEX_DIR"].contains($0.key) }
            e.merge(MergeFixture.environment(work: k8sWork)) { _, b in b }
            e["AUDIO_INDEX_PARTS"] = "3"
            e["AUDIO_INDEX_THREADS"] = "1"
            e["AUDIO_INDEX_MANIFEST"] = f.corpus.manifest.path
            return e
        }
        for i in 0..<3 {
            var env = local(buildEnv)
            env["JOB_COMPLETION_INDEX"] = "\(i)"
            let r = try MergeFixture.script(Fixtures.packageRoot.appendingPathComponent(buildCommand[1]), env: env, in: Fixtures.packageRoot)
            #expect(r.status == 0 && r.stderr.contains("--shard \(i)/3"), "pod \(i): \(r.stderr)")
        }
        let m = try MergeFixture.script(Fixtures.packageRoot.appendingPathComponent(mergeCommand[1]), env: local(mergeEnv), in: Fixtures.packageRoot)
        #expect(m.status == 0, "\(m.stderr)")
        let merged = k8sWork.appendingPathComponent("index").path
        #expect(try IndexSnapshot(merged) == IndexSnapshot(f.whole))
        #expect(try CLI.run(["verify", "--index", merged]).status == 0)
    }

    @Test("byte-identical audio in two parts keeps one vector row that both ids share; a second merge is a no-op")
    func crossPartDuplicates() throws {
        let f = try MergeFixture.shared.get()
        let parts = try f.parts.map { try IndexQuery(index: IndexDirectory($0)) }
        #expect(try parts[0].catalog.rows(ofClip: "dog").count == 1 && parts[2].catalog.rows(ofClip: "dog-again").count == 1)
        #expect(parts.map(\.vectors.liveCount).reduce(0, +) == 4)
        let out = f.out("dups")
        #expect(try f.merge(out).status == 0)
        var q = try IndexQuery(index: IndexDirectory(out))
        let dog = try q.catalog.rows(ofClip: "dog"), again = try q.catalog.rows(ofClip: "dog-again")
        #expect(dog.count == 1 && dog.map(\.row) == again.map(\.row))
        #expect(try q.catalog.rowCount() == 3 && q.vectors.liveCount == 3 && q.catalog.clipCount() == 4)
        let generation = try q.catalog.generation()
        let again2 = try f.merge(out)
        #expect(again2.status == 0 && again2.stdout.contains("0 clips added") && again2.stdout.contains("0 failures carried over"), "\(again2.stdout)")
        q = try IndexQuery(index: IndexDirectory(out))
        #expect(try q.catalog.generation() == generation && IndexSnapshot(out) == IndexSnapshot(f.whole))
    }

    @Test("killed at a crash point (after the vectors, after the catalog, between parts, in IVF training) and rerun: the same index as an uninterrupted merge",
          arguments: [("after-vectors:1", false), ("after-catalog:1", false), ("after-vectors:3", false), ("after-part:2", false),
                      ("after-catalog:5", false), ("after-vectors:4", true), ("after-catalog:6", true)])
    func killAndResume(_ crashAt: String, _ ivf: Bool) throws {
        let f = try MergeFixture.shared.get()
        let options = ["--commit-clips", "1"] + (ivf ? ["--kind", "ivf", "--nlist", "2"] : [])
        let name = crashAt.replacingOccurrences(of: ":", with: "-") + (ivf ? "-ivf" : "")
        let reference = f.out("reference-\(name)"), crashed = f.out("crashed-\(name)")
        #expect(try f.merge(reference, options).status == 0)
        let killed = try f.merge(crashed, options, crashAt: crashAt)
        #expect(killed.signal == SIGKILL, "\(killed.stdout)\(killed.stderr)")
        let resumed = try f.merge(crashed, options)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try IndexSnapshot(crashed) == IndexSnapshot(reference))
        #expect(try IndexSnapshot(crashed) == IndexSnapshot(f.whole))
        let q = try IndexQuery(index: IndexDirectory(crashed))
        #expect(try q.verify().isEmpty)
        #expect(q.vectors.kind == (ivf ? .ivf : .flat))
        let g = try q.catalog.generation()
        let names = try FileManager.default.contentsOfDirectory(atPath: IndexDirectory(crashed).vectors.path)
        #expect(!names.contains("gen-\(g + 1).json"))
        #expect(try String(contentsOf: IndexDirectory(crashed).vectors.appendingPathComponent("CURRENT"), encoding: .utf8).hasPrefix("gen-\(g).json"))
    }

    @Test("merge --kind ivf: with every list probed, the answers of brute force over the union of the parts' vectors; with one, those of the IVF twin over the probed lists")
    func ivfEqualsBruteForce() throws {
        let f = try MergeFixture.shared.get()
        let out = f.out("ivf")
        let r = try f.merge(out, ["--kind", "ivf", "--nlist", "2", "--seed", "7"])
        #expect(r.status == 0, "\(r.stderr)")
        let q = try IndexQuery(index: IndexDirectory(out))
        #expect(q.vectors.kind == .ivf && q.vectors.nlist == 2 && q.vectors.liveCount == 3)
        #expect(try IndexSnapshot(out) == IndexSnapshot(f.whole))
        // the union: every part's live vectors with the clips owning them (row numbers are the parts')
        let d = q.dimension
        var union: [(ids: Set<String>, vector: [Float])] = []
        for path in f.parts {
            let p = try IndexQuery(index: IndexDirectory(path))
            let live = p.vectors.liveRows()
            let owners = try p.catalog.owners(ofRows: live.ids)
            for (i, row) in live.ids.enumerated() {
                union.append((Set(owners[row]!.map(\.clipID)), Array(live.vectors[(i * d)..<((i + 1) * d)])))
            }
        }
        var rng = SeededGenerator(state: 11)
        var queries = union.flatMap(\.vector)
        for _ in 0..<5 {
            let v = (0..<d).map { _ in Float.random(in: -1...1, using: &rng) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            queries += v.map { $0 / norm }
        }
        let nq = queries.count / d, k = 3
        let all = q.vectors.search(queries: queries, k: k, nprobe: 2)
        for qi in 0..<nq {
            let query = queries[(qi * d)..<((qi + 1) * d)]
            // brute force in float64; identical vectors (dog in parts 0 and 2) are one candidate owned by both ids
            var candidates: [(ids: Set<String>, score: Double, bits: [UInt32])] = []
            for u in union {
                let bits = u.vector.map(\.bitPattern)
                if let at = candidates.firstIndex(where: { $0.bits == bits }) { candidates[at].ids.formUnion(u.ids); continue }
                candidates.append((u.ids, zip(query, u.vector).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }, bits))
            }
            candidates.sort { $0.score > $1.score }
            let ids = Array(all.ids(ofQuery: qi)), scores = Array(all.scores(ofQuery: qi))
            let owners = try q.catalog.owners(ofRows: ids.filter { $0 >= 0 })
            for j in 0..<min(k, candidates.count) {
                #expect(abs(Double(scores[j]) - candidates[j].score) <= 1e-6, "query \(qi) rank \(j)")
                let tie = j + 1 < candidates.count && abs(candidates[j].score - candidates[j + 1].score) <= 1e-6
                    || j > 0 && abs(candidates[j].score - candidates[j - 1].score) <= 1e-6
                if !tie { #expect(Set(owners[ids[j]]?.map(\.clipID) ?? []) == candidates[j].ids, "query \(qi) rank \(j)") }
            }
        }
        // one probed list: exactly what the reference IVF search computes over the probed lists
        let one = q.vectors.search(queries: queries, k: k, nprobe: 1)
        let twin = q.vectors.referenceSearch(queries: queries, k: k, nprobe: 1)
        for qi in 0..<nq {
            #expect(zip(one.scores(ofQuery: qi), twin.scores(ofQuery: qi)).allSatisfy { $0.isNaN && $1.isNaN || abs($0 - $1) <= 1e-6 })
            #expect(Array(one.ids(ofQuery: qi)) == Array(twin.ids(ofQuery: qi)), "query \(qi)")
        }
    }

    @Test("refused before anything is written: another model (both parts and the difference named), one id with different audio (both locators), a missing or repeated part, --out among the parts, a part being written")
    func refusals() throws {
        let f = try MergeFixture.shared.get()
        // part 1 of 3 made with another model
        let other = f.corpus.folder.appendingPathComponent("other-model/part-1").path
        let built = try CLI.run(["build", "--model", Fixtures.url("htsat/laion-tiny.pt").path, "--manifest", f.corpus.manifest.path,
                                 "--shard", "1/3", "--index", other])
        #expect(built.status == 0, "\(built.stderr)")
        let out = f.out("refused")
        let model = try f.merge(out, parts: [f.parts[0], other, f.parts[2]])
        #expect(model.status == 3 && model.stderr.contains(other) && model.stderr.contains(f.parts[0]), "\(model.stderr)")
        #expect(model.stderr.contains("fingerprint") || model.stderr.contains("architecture") || model.stderr.contains("profile"), "\(model.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        // the id "x" is dog.wav in part 0/2 (line 0 of one manifest) and rain.wav in part 1/2 (line 1
        // of an edited copy: a manifest refuses a repeated id itself, so the parts read two versions)
        let manifests = [[#"{"id": "x", "path": "dog.wav"}"#], [#"{"id": "y", "path": "bell.wav"}"#, #"{"id": "x", "path": "rain.wav"}"#]]
        let conflictParts = (0..<2).map { f.corpus.folder.appendingPathComponent("conflict/part-\($0)").path }
        for (i, part) in conflictParts.enumerated() {
            let manifest = f.corpus.folder.appendingPathComponent("conflict-\(i).jsonl")
            try Data((manifests[i].joined(separator: "\n") + "\n").utf8).write(to: manifest)
            let r = try CLI.run(["build", "--model", Corpus.model, "--manifest", manifest.path, "--shard", "\(i)/2", "--index", part])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let conflict = try f.merge(out, parts: conflictParts)
        #expect(conflict.status == 3 && conflict.stderr.contains("merging them as one build's parts"), "\(conflict.stderr)")
        for needle in ["\"x\"", conflictParts[0], conflictParts[1], f.corpus.folder.appendingPathComponent("dog.wav").path,
                       f.corpus.folder.appendingPathComponent("rain.wav").path] {
            #expect(conflict.stderr.contains(needle), "\(needle) in \(conflict.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))

        let missing = try f.merge(out, parts: [f.parts[0], f.parts[1]])
        #expect(missing.status == 3 && missing.stderr.contains("2/3"), "\(missing.stderr)")
        let repeated = try f.merge(out, parts: [f.parts[0], f.parts[1], f.parts[1], f.parts[2]])
        #expect(repeated.status == 3 && repeated.stderr.contains("1/3"), "\(repeated.stderr)")
        let into = try f.merge(f.parts[1])
        #expect(into.status == 2 && into.stderr.contains("one of the parts"), "\(into.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        // a part whose build still holds the writer lock
        let fd = open(IndexDirectory(f.parts[2]).vectors.appendingPathComponent("LOCK").path, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let locked = try f.merge(out)
        close(fd)
        #expect(locked.status == 8, "\(locked.stderr)")
    }

    @Test("build --shard i/N over a folder takes the files whose walk position modulo N is i; merging the parts gives the folder's single build")
    func folderParts() throws {
        let f = try MergeFixture.shared.get()
        let folder = f.corpus.folder.appendingPathComponent("folder-clips")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["bell.wav", "broken.wav", "dog-copy.wav", "dog.wav", "rain.wav"] {
            try FileManager.default.copyItem(at: f.corpus.folder.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let whole = f.corpus.folder.appendingPathComponent("folder-whole").path
        #expect(try CLI.run(["build", "--model", Corpus.model, "--dir", folder.path, "--index", whole]).status == 1)
        let parts = (0..<2).map { f.corpus.folder.appendingPathComponent("folder-part-\($0)").path }
        for (i, part) in parts.enumerated() {
            let r = try CLI.run(["build", "--model", Corpus.model, "--dir", folder.path, "--shard", "\(i)/2", "--index", part])
            #expect(r.status == (i == 1 ? 1 : 0), "\(r.stderr)")
        }
        // walk order bell, broken, dog-copy, dog, rain: part 0 = bell, dog-copy, rain; part 1 = broken (fails), dog
        #expect(try IndexSnapshot(parts[0]).clips.map(\.id) == ["bell.wav", "dog-copy.wav", "rain.wav"])
        #expect(try IndexSnapshot(parts[1]).clips.map(\.id) == ["dog.wav"])
        let out = f.out("folder")
        #expect(try f.merge(out, parts: parts).status == 0)
        #expect(try IndexSnapshot(out) == IndexSnapshot(whole))
    }

    @Test("merge --help teaches: abstract, the refusals, examples with a Slurm array, defaults")
    func help() throws {
        let r = try CLI.run(["merge", "--help"])
        let text = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(r.status == 0 && r.stdout.contains("EXAMPLES") && text.contains("audio-index merge --out idx"))
        #expect(text.contains("sbatch --parsable --array=0-15") && text.contains("--dependency=afterok"))
        #expect(text.contains("default: flat") && text.contains("(default: 1)") && text.contains("exit 3"))
    }
}
