import Testing

@testable import CourierWebSocket

/// permessage-deflate's handshake (RFC 7692 §5, §7.1): the client's offer, its checks of the
/// server's answer, and the server's answer to an offer.
@Suite("permessage-deflate: negotiation")
struct PerMessageDeflateNegotiationTests {
    @Test("The default offer lets the server limit the client's window")
    func defaultOffer() {
        #expect(PerMessageDeflateOffer().headerValue == "permessage-deflate; client_max_window_bits")
        var offer = PerMessageDeflateOffer()
        offer.serverNoContextTakeover = true
        offer.clientNoContextTakeover = true
        offer.serverMaxWindowBits = 10
        offer.clientMaxWindowBits = .limit(12)
        #expect(
            offer.headerValue
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                + "server_max_window_bits=10; client_max_window_bits=12")
        offer.clientMaxWindowBits = .notOffered
        #expect(!offer.headerValue.contains("client_max_window_bits"))
    }

    @Test(
        "Answers the default offer accepts, and the parameters they put in effect",
        arguments: [
            ("permessage-deflate", PerMessageDeflateParameters()),
            (
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                PerMessageDeflateParameters(serverNoContextTakeover: true, clientNoContextTakeover: true)
            ),
            (
                "permessage-deflate;server_max_window_bits=8; client_max_window_bits=15",
                PerMessageDeflateParameters(serverMaxWindowBits: 8)
            ),
            (
                "permessage-deflate ; client_max_window_bits=\"10\" ,",
                PerMessageDeflateParameters(clientMaxWindowBits: 10)
            ),
        ])
    func acceptedAnswers(response: String, expected: PerMessageDeflateParameters) throws {
        #expect(try PerMessageDeflateOffer().accept(response: response) == expected)
    }

    @Test("No answer, or an empty one, declines compression")
    func declined() throws {
        #expect(try PerMessageDeflateOffer().accept(response: "") == nil)
        #expect(try PerMessageDeflateOffer().accept(response: " , ") == nil)
    }

    @Test(
        "Answers that fail the handshake",
        arguments: [
            ("permessage-deflate; foo", PerMessageDeflateNegotiationError.unknownParameter("foo")),
            ("permessage-deflate; foo=1", .unknownParameter("foo")),
            ("x-webkit-deflate-frame", .unexpectedExtension("x-webkit-deflate-frame")),
            ("permessage-deflate, permessage-deflate", .duplicateExtension),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                .duplicateParameter("server_no_context_takeover")
            ),
            (
                "permessage-deflate; server_no_context_takeover=1",
                .invalidValue(parameter: "server_no_context_takeover", value: "1")
            ),
            (
                "permessage-deflate; client_no_context_takeover=x",
                .invalidValue(parameter: "client_no_context_takeover", value: "x")
            ),
            (
                "permessage-deflate; server_max_window_bits",
                .invalidValue(parameter: "server_max_window_bits", value: nil)
            ),
            (
                "permessage-deflate; server_max_window_bits=7",
                .invalidValue(parameter: "server_max_window_bits", value: "7")
            ),
            (
                "permessage-deflate; server_max_window_bits=16",
                .invalidValue(parameter: "server_max_window_bits", value: "16")
            ),
            (
                "permessage-deflate; server_max_window_bits=09",
                .invalidValue(parameter: "server_max_window_bits", value: "09")
            ),
            (
                "permessage-deflate; server_max_window_bits=+9",
                .invalidValue(parameter: "server_max_window_bits", value: "+9")
            ),
            (
                "permessage-deflate; client_max_window_bits",
                .invalidValue(parameter: "client_max_window_bits", value: nil)
            ),
            (
                "permessage-deflate; client_max_window_bits=abc",
                .invalidValue(parameter: "client_max_window_bits", value: "abc")
            ),
            ("permessage-deflate; ", .malformedHeader("permessage-deflate; ")),
            ("permessage-deflate; a=\"unterminated", .malformedHeader("permessage-deflate; a=\"unterminated")),
            ("permessage-deflate x", .malformedHeader("permessage-deflate x")),
        ])
    func rejectedAnswers(response: String, expected: PerMessageDeflateNegotiationError) {
        #expect(throws: expected) { try PerMessageDeflateOffer().accept(response: response) }
    }

    @Test("An answer must keep within what the offer asked")
    func answerWithinOffer() throws {
        var notOffered = PerMessageDeflateOffer()
        notOffered.clientMaxWindowBits = .notOffered
        #expect(throws: PerMessageDeflateNegotiationError.unrequestedParameter("client_max_window_bits")) {
            try notOffered.accept(response: "permessage-deflate; client_max_window_bits=10")
        }
        var limited = PerMessageDeflateOffer()
        limited.clientMaxWindowBits = .limit(10)
        limited.serverMaxWindowBits = 11
        #expect(
            throws: PerMessageDeflateNegotiationError.invalidValue(parameter: "client_max_window_bits", value: "12")
        ) {
            try limited.accept(response: "permessage-deflate; server_max_window_bits=11; client_max_window_bits=12")
        }
        #expect(
            throws: PerMessageDeflateNegotiationError.invalidValue(parameter: "server_max_window_bits", value: "12")
        ) {
            try limited.accept(response: "permessage-deflate; server_max_window_bits=12")
        }
        #expect(throws: PerMessageDeflateNegotiationError.missingParameter("server_max_window_bits")) {
            try limited.accept(response: "permessage-deflate")
        }
        // Without client_max_window_bits in the answer, the client keeps to the limit it offered.
        #expect(
            try limited.accept(response: "permessage-deflate; server_max_window_bits=9")
                == PerMessageDeflateParameters(serverMaxWindowBits: 9, clientMaxWindowBits: 10))
        var noTakeover = PerMessageDeflateOffer()
        noTakeover.serverNoContextTakeover = true
        #expect(throws: PerMessageDeflateNegotiationError.missingParameter("server_no_context_takeover")) {
            try noTakeover.accept(response: "permessage-deflate")
        }
    }

    @Test(
        "The server accepts the first valid offer as asked",
        arguments: [
            ("permessage-deflate; client_max_window_bits", "permessage-deflate", PerMessageDeflateParameters()),
            (
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                PerMessageDeflateParameters(serverNoContextTakeover: true, clientNoContextTakeover: true)
            ),
            (
                "permessage-deflate; server_max_window_bits=8; client_max_window_bits=9",
                "permessage-deflate; server_max_window_bits=8",
                PerMessageDeflateParameters(serverMaxWindowBits: 8, clientMaxWindowBits: 9)
            ),
            (
                "x-unknown, permessage-deflate; server_max_window_bits=99, permessage-deflate; bogus, "
                    + "permessage-deflate; server_max_window_bits=12",
                "permessage-deflate; server_max_window_bits=12",
                PerMessageDeflateParameters(serverMaxWindowBits: 12)
            ),
        ])
    func serverAnswers(offers: String, header: String, parameters: PerMessageDeflateParameters) throws {
        let answer = try #require(PerMessageDeflateOffer.respond(to: offers))
        #expect(answer.headerValue == header && answer.parameters == parameters)
    }

    @Test("No valid permessage-deflate offer, no answer")
    func serverDeclines() {
        #expect(PerMessageDeflateOffer.respond(to: "") == nil)
        #expect(PerMessageDeflateOffer.respond(to: "x-webkit-deflate-frame") == nil)
        #expect(PerMessageDeflateOffer.respond(to: "permessage-deflate; client_max_window_bits=7") == nil)
        #expect(PerMessageDeflateOffer.respond(to: "permessage-deflate; a; a") == nil)
        #expect(PerMessageDeflateOffer.respond(to: "permessage-deflate;") == nil)
    }

    @Test("The client's default offer and the server's answer agree on the parameters")
    func bothEnds() throws {
        let offer = PerMessageDeflateOffer()
        let answer = try #require(PerMessageDeflateOffer.respond(to: offer.headerValue))
        #expect(try offer.accept(response: answer.headerValue) == answer.parameters)
    }
}
