import CourierCore
import FoundationEssentials
import Testing

@Suite("Proxy environment (curl's rules)")
struct ProxyEnvironmentTests {
    private func proxy(_ url: String, _ variables: [String: String]) -> Proxy {
        ProxyEnvironment(variables).proxy(for: URL(string: url)!)
    }

    @Test("http_proxy serves http:// and ws://; upper-case HTTP_PROXY is ignored (httpoxy)")
    func httpProxyLowerCaseOnly() {
        #expect(proxy("http://example.com/", ["http_proxy": "http://p:3128"]) == .http(host: "p", port: 3128))
        #expect(proxy("ws://example.com/", ["http_proxy": "p:3128"]) == .http(host: "p", port: 3128))
        #expect(proxy("http://example.com/", ["HTTP_PROXY": "http://p:3128"]) == .direct)
    }

    @Test("https_proxy or HTTPS_PROXY serves https:// and wss://; the lower-case one wins")
    func httpsProxy() {
        #expect(proxy("https://example.com/", ["HTTPS_PROXY": "p:1"]) == .http(host: "p", port: 1))
        #expect(proxy("wss://example.com/", ["https_proxy": "q:2", "HTTPS_PROXY": "p:1"]) == .http(host: "q", port: 2))
        #expect(proxy("https://example.com/", ["http_proxy": "p:1"]) == .direct)
    }

    @Test("all_proxy applies when the scheme has none; an empty variable is unset")
    func allProxy() {
        let variables = ["ALL_PROXY": "socks5h://s:1080", "https_proxy": ""]
        #expect(proxy("https://example.com/", variables) == .socks5(host: "s", port: 1080))
        #expect(proxy("http://example.com/", ["all_proxy": "h:8", "http_proxy": "p:1"]) == .http(host: "p", port: 1))
    }

    @Test("Proxy values: default port 1080, credentials percent-decoded, IPv6 brackets, unusable ones ignored")
    func proxyValues() {
        #expect(proxy("http://a/", ["http_proxy": "proxy.corp"]) == .http(host: "proxy.corp", port: 1080))
        #expect(
            proxy("http://a/", ["http_proxy": "socks5://u%40x:p%3Aw@s:9"])
                == .socks5(host: "s", port: 9, username: "u@x", password: "p:w"))
        #expect(
            proxy("http://a/", ["http_proxy": "http://u%40x:p%3Aw@p:3128"])
                == .http(host: "p", port: 3128, username: "u@x", password: "p:w"))
        // An escape is two hex digits, without a sign: otherwise the text stays as written.
        #expect(
            proxy("http://a/", ["http_proxy": "http://u%+4:p%4@p:3128"])
                == .http(host: "p", port: 3128, username: "u%+4", password: "p%4"))
        #expect(proxy("http://a/", ["http_proxy": "http://[::1]:3128/"]) == .http(host: "::1", port: 3128))
        #expect(proxy("http://a/", ["http_proxy": "https://p:443"]) == .direct)
        #expect(proxy("http://a/", ["http_proxy": "http://p:99999"]) == .direct)
        #expect(proxy("http://a/", ["http_proxy": "ftp://p:21"]) == .direct)
    }

    @Test("NO_PROXY names match themselves and their subdomains, with or without a leading dot, never a longer name")
    func noProxyDomains() {
        let environment = ProxyEnvironment(["no_proxy": "example.com, .internal,Localhost."])
        #expect(environment.bypasses(host: "example.com", port: 80))
        #expect(environment.bypasses(host: "www.example.com", port: 443))
        #expect(!environment.bypasses(host: "notexample.com", port: 80))
        #expect(!environment.bypasses(host: "example.com.org", port: 80))
        #expect(environment.bypasses(host: "internal", port: 80))
        #expect(environment.bypasses(host: "a.b.internal", port: 80))
        #expect(environment.bypasses(host: "LOCALHOST", port: 80))
        #expect(environment.bypasses(host: "localhost.", port: 80))
    }

    @Test("NO_PROXY * alone matches everything; inside a name it is no wildcard")
    func noProxyStar() {
        #expect(ProxyEnvironment(["NO_PROXY": "*"]).bypasses(host: "anything.test", port: 1))
        #expect(!ProxyEnvironment(["NO_PROXY": "*.example.com"]).bypasses(host: "a.example.com", port: 1))
    }

    @Test("NO_PROXY addresses match exactly, CIDR blocks by prefix, IPv4 never as a domain suffix")
    func noProxyAddresses() {
        let environment = ProxyEnvironment(["no_proxy": "10.1.2.3,192.168.0.0/16,::1,2001:db8::/32,172.16.0.0/12"])
        #expect(environment.bypasses(host: "10.1.2.3", port: 80))
        #expect(!environment.bypasses(host: "110.1.2.3", port: 80))
        #expect(!environment.bypasses(host: "10.1.2.4", port: 80))
        #expect(environment.bypasses(host: "192.168.77.1", port: 80))
        #expect(!environment.bypasses(host: "192.169.0.1", port: 80))
        #expect(environment.bypasses(host: "::1", port: 80))
        #expect(environment.bypasses(host: "[2001:db8:ffff::5]", port: 80))
        #expect(!environment.bypasses(host: "2001:db9::5", port: 80))
        #expect(environment.bypasses(host: "172.31.255.255", port: 80))
        #expect(!environment.bypasses(host: "172.32.0.1", port: 80))
    }

    @Test("NO_PROXY entries with a port match that port only")
    func noProxyPorts() {
        let environment = ProxyEnvironment(["no_proxy": "example.com:8080,[::1]:9000,10.0.0.1:22"])
        #expect(environment.bypasses(host: "www.example.com", port: 8080))
        #expect(!environment.bypasses(host: "example.com", port: 80))
        #expect(environment.bypasses(host: "::1", port: 9000))
        #expect(!environment.bypasses(host: "::1", port: 9001))
        #expect(environment.bypasses(host: "10.0.0.1", port: 22))
        #expect(!environment.bypasses(host: "10.0.0.1", port: 23))
    }

    @Test("A URL NO_PROXY matches goes direct whatever the proxy variables say")
    func noProxyWins() {
        let variables = ["https_proxy": "p:1", "no_proxy": "example.com"]
        #expect(proxy("https://api.example.com/x", variables) == .direct)
        #expect(proxy("https://example.org/x", variables) == .http(host: "p", port: 1))
    }

    @Test("The environment selector answers one proxy per URL, direct when nothing applies")
    func selector() {
        let selector = EnvironmentProxySelector(environment: ProxyEnvironment(["https_proxy": "p:1"]))
        #expect(selector.proxies(for: URL(string: "https://a.test/")!) == [.http(host: "p", port: 1)])
        #expect(selector.proxies(for: URL(string: "http://a.test/")!) == [.direct])
    }

    @Test("A proxy's description never shows the password")
    func descriptionHidesPassword() {
        let proxy = Proxy.socks5(host: "s", port: 1080, username: "ada", password: "s3cret")
        #expect(proxy.description == "socks5h://ada@s:1080")
        #expect(!"\(Address(scheme: "https", host: "a", port: 443, proxy: proxy))".contains("s3cret"))
        #expect(
            Proxy.http(host: "p", port: 3128, username: "ada", password: "s3cret").description == "http://ada@p:3128")
    }
}
