import Diagnostics
import Foundation
import Testing
import TestSupport
@testable import Weights

@Suite("WeightBinder")
struct WeightBinderTests {
    let path = WeightsFixture.url.path

    @Test("binding every model tensor with its exact shape succeeds; recomputed buffers are neither required nor unexpected")
    func strictSuccess() throws {
        var binder = WeightBinder(try SafetensorsFile(contentsOf: WeightsFixture.url))
        #expect(try binder.take("encoder.w", shape: [2, 3]) == [0.5, -1.25, 3.0, 1e-3, -7.0, 123456.789])
        _ = try binder.take("encoder.h", shape: [11])
        _ = try binder.take("encoder.b", shape: [11])
        #expect(try binder.take("scale", shape: []) == [0.125])
        try binder.finish()
        #expect(binder.consumed == ["encoder.w", "encoder.h", "encoder.b", "scale"])
        #expect(WeightBinder.isRecomputedBuffer("encoder.relative_position_index"))
        #expect(WeightBinder.isRecomputedBuffer("text.embeddings.position_ids"))
        #expect(WeightBinder.isRecomputedBuffer("text_model.embeddings.token_type_ids"))
        #expect(!WeightBinder.isRecomputedBuffer("encoder.w"))
    }

    @Test("a wrong shape names the key, expected shape first, then the file's shape")
    func shapeMismatchText() throws {
        var binder = WeightBinder(try SafetensorsFile(contentsOf: WeightsFixture.url))
        #expect(throws: WeightsError.shapeMismatch(key: "encoder.w", expected: [3, 2], actual: [2, 3], file: path)) {
            _ = try binder.take("encoder.w", shape: [3, 2])
        }
        do {
            _ = try binder.take("scale", shape: [1])
            Issue.record("took a scalar as shape [1]")
        } catch let e as WeightsError {
            #expect(ErrorReport.line(for: e) ==
                    "\(path): tensor 'scale': expected shape [1], found [] (the checkpoint is for another model or variant; check the model and profile options)")
            #expect(e.exitCode == .inconsistent)
        }
        #expect(binder.consumed.isEmpty)
    }

    @Test("a missing tensor names the key and the file")
    func missingText() throws {
        var binder = WeightBinder(try SafetensorsFile(contentsOf: WeightsFixture.url))
        do {
            _ = try binder.take("encoder.bias", shape: [3])
            Issue.record("took an absent tensor")
        } catch let e as WeightsError {
            #expect(e == .missingTensor(key: "encoder.bias", file: path))
            #expect(ErrorReport.line(for: e).hasPrefix("\(path): the checkpoint has no tensor 'encoder.bias'"))
        }
    }

    @Test("finish lists the keys neither taken, nor recomputed buffers, nor ignored")
    func unexpected() throws {
        var binder = WeightBinder(try SafetensorsFile(contentsOf: WeightsFixture.url))
        _ = try binder.take("encoder.w", shape: [2, 3])
        #expect(throws: WeightsError.unexpectedTensors(keys: ["encoder.b", "encoder.h", "scale"], file: path)) { try binder.finish() }
        do {
            try binder.finish(ignoring: { $0 == "scale" })
            Issue.record("finish passed with unconsumed tensors")
        } catch let e as WeightsError {
            #expect(e.reason == "2 unexpected tensors in the checkpoint: 'encoder.b', 'encoder.h'")
        }
        try binder.finish(ignoring: { $0 != "encoder.w" })
    }
}
