/// Which end of the connection a codec works for. The framing rules differ only in masking
/// (RFC 6455 §5.1, §5.3): a client masks every frame it sends and must receive unmasked frames;
/// a server never masks and must receive masked frames. The deflate parameters name a direction
/// by role too (`client_max_window_bits` is about what the client sends).
package enum WebSocketRole: Hashable, Sendable {
    case client
    case server
}
