/// The fuzz targets, by the name `COURIER_FUZZ_TARGET`, `scripts/fuzz.sh` and the replay tool
/// use, which is also the name of each seed folder under `Fuzz/Corpus/`.
///
/// Every target derives everything it does from the input bytes alone (no clock, no global
/// state carried between runs), so a saved input reproduces a failure exactly.
enum FuzzTarget: String, CaseIterable {
    case headParser = "head-parser"
    case bodyDecoder = "body-decoder"
    case chunkedDecoder = "chunked-decoder"
    case cookie = "cookie"
    case authChallenge = "auth-challenge"
    case decompressor = "decompressor"
    case hpack = "hpack"
    case h2Frames = "h2-frames"
    case cache = "cache"
    case webSocket = "websocket"
    case socks5 = "socks5"
    case urlHost = "url-host"

    /// Runs one input. Returns normally for any input the code under test handles correctly,
    /// rejecting it or not; an invariant that does not hold stops the process (see `require`).
    func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .headParser: HeadParserTarget.run(data)
        case .bodyDecoder: BodyDecoderTarget.run(data)
        case .chunkedDecoder: ChunkedDecoderTarget.run(data)
        case .cookie: CookieTarget.run(data)
        case .authChallenge: AuthChallengeTarget.run(data)
        case .decompressor: DecompressorTarget.run(data)
        case .hpack: HPACKTarget.run(data)
        case .h2Frames: HTTP2FramesTarget.run(data)
        case .cache: CacheTarget.run(data)
        case .webSocket: WebSocketTarget.run(data)
        case .socks5: SOCKS5Target.run(data)
        case .urlHost: URLHostTarget.run(data)
        }
    }

    /// Every name, for messages that list the choices.
    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
