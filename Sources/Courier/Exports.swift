@_exported public import CourierCore
@_exported public import FoundationEssentials

@_exported public import protocol CourierTransport.DNSResolver
@_exported public import struct CourierTransport.SystemDNSResolver
