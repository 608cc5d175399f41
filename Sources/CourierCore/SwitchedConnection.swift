/// A connection that a 101 (Switching Protocols) response handed over to another protocol, such
/// as a WebSocket. It has left the connection pool for good; whoever takes it owns it, and one
/// nobody takes is closed when the last reference to it goes.
///
/// Opaque here, since Core knows nothing of sockets: Transport supplies the one implementation.
package protocol SwitchedConnection: AnyObject, Sendable {}
