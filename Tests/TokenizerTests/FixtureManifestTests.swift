import Testing
import TestSupport

@Test("every tokenizer fixture file matches the SHA-256 its MANIFEST.json records")
func tokenizerFixturesMatchManifest() throws {
    #expect(try Fixtures.filesNotMatchingManifest("tokenizer/MANIFEST.json") == [])
}
