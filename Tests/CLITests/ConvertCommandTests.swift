import Foundation
import Testing
import TestSupport
import Weights

@Suite("convert")
struct ConvertCommandTests {
    @Test("convert turns a laion_clap-shaped .pt into a .safetensors file that ModelCheckpoint opens as the same laionClap tensors")
    func convertsPT() throws {
        let folder = try Fixtures.temporaryFolder("convert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pt = Fixtures.url("pytorch/laion_release.pt").path
        let out = folder.appendingPathComponent("model.safetensors").path
        let r = try CLI.run(["convert", pt, "--out", out, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("{\"out\":\"\(out)\",\"source\":\"\(pt)\",\"tensors\":12,"))
        #expect(r.stdout.contains("\"skipped\":[\"audio_branch.bn0.num_batches_tracked\","))
        let converted = try ModelCheckpoint.open(out), original = try ModelCheckpoint.open(pt)
        #expect(converted.layout == .laionClap)
        #expect(converted.tensors.metadata["epoch"] == "45" && converted.tensors.metadata["converted_from"] == "laion_release.pt")
        #expect(try converted.tensors.float32("audio_branch.transposed") == original.tensors.float32("audio_branch.transposed"))
    }

    @Test("a legacy torch file is refused with exit 7 and the re-save hint; a missing model with exit 5; nothing is written")
    func refusals() throws {
        let folder = try Fixtures.temporaryFolder("convert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("model.safetensors").path
        let legacy = try CLI.run(["convert", Fixtures.url("pytorch/legacy.pt").path, "--out", out])
        #expect(legacy.status == 7 && legacy.stdout.isEmpty)
        #expect(legacy.stderr.contains("re-save it with torch >= 1.6"))
        let missing = try CLI.run(["convert", folder.appendingPathComponent("absent.pt").path, "--out", out])
        #expect(missing.status == 5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
