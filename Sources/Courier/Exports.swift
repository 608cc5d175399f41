@_exported public import CourierCache
@_exported public import CourierCore
@_exported public import CourierTransport
@_exported public import CourierWebSocket
@_exported public import FoundationEssentials
