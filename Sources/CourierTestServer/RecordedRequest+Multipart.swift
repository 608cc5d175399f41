public import CourierCore

extension RecordedRequest {
    /// One part of a `multipart/*` request body.
    public struct Part: Sendable {
        public let headers: HTTPHeaders
        public let body: [UInt8]

        /// The `name` parameter of `Content-Disposition`.
        public var name: String? { dispositionParameter("name") }
        /// The `filename` parameter of `Content-Disposition`.
        public var filename: String? { dispositionParameter("filename") }
        public var bodyString: String { String(decoding: body, as: UTF8.self) }

        private func dispositionParameter(_ parameter: String) -> String? {
            guard let disposition = headers["Content-Disposition"] else { return nil }
            for item in disposition.split(separator: ";").dropFirst() {
                let pair = item.trimmingWhitespace().split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].lowercased() == parameter else { continue }
                return String(pair[1].trimmingWhitespace()).trimmingQuotes()
            }
            return nil
        }
    }

    /// The parts of a `multipart/*` body, or nil if the body is not multipart or is malformed.
    public var multipart: [Part]? {
        guard let type = headers["Content-Type"], type.lowercased().hasPrefix("multipart/"),
            let boundaryItem = type.split(separator: ";").first(where: {
                $0.trimmingWhitespace().lowercased().hasPrefix("boundary=")
            })
        else { return nil }
        let boundary = String(boundaryItem.trimmingWhitespace().dropFirst("boundary=".count)).trimmingQuotes()
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        var sections = body.split(separator: delimiter)
        guard sections.count >= 2, sections.removeLast().starts(with: Array("--".utf8)) else { return nil }
        for section in sections.dropFirst() {
            // Each section is CRLF, header fields, CRLF CRLF, content, CRLF.
            guard section.starts(with: [13, 10]), let end = section.firstRange(of: [13, 10, 13, 10]) else { return nil }
            var headers = HTTPHeaders()
            let headText = String(decoding: section[(section.startIndex + 2)..<end.lowerBound], as: UTF8.self)
            for line in headText.split(separator: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1)
                guard pair.count == 2 else { return nil }
                headers.add(String(pair[0]), String(pair[1].trimmingWhitespace()))
            }
            let content = section[end.upperBound...]
            guard content.suffix(2).elementsEqual([13, 10]) else { return nil }
            parts.append(Part(headers: headers, body: Array(content.dropLast(2))))
        }
        return parts
    }
}

extension Array where Element == UInt8 {
    /// Splits at every occurrence of `separator`.
    fileprivate func split(separator: [UInt8]) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            pieces.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pieces.append(rest)
        return pieces
    }
}

extension String {
    fileprivate func trimmingQuotes() -> String {
        count >= 2 && hasPrefix("\"") && hasSuffix("\"") ? String(dropFirst().dropLast()) : self
    }
}
