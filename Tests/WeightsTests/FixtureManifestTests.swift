import Testing
import TestSupport

@Test("every weights fixture file matches the SHA-256 its MANIFEST.json records")
func weightsFixturesMatchManifest() throws {
    #expect(try Fixtures.filesNotMatchingManifest("weights/MANIFEST.json") == [])
}

@Test("every PyTorch fixture file matches the SHA-256 its MANIFEST.json records")
func pytorchFixturesMatchManifest() throws {
    #expect(try Fixtures.filesNotMatchingManifest("pytorch/MANIFEST.json") == [])
}
