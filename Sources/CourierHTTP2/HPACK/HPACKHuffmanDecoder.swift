/// Decodes Huffman-coded strings (RFC 7541 §5.2) four bits at a time.
///
/// The code's tree has 256 inner nodes; a decoding state is one of them, the bits read since the
/// last symbol. For every state and every 4-bit input a table says the next state, the symbol
/// completed on the way (at most one: no code is shorter than 5 bits) and whether the input hit
/// EOS. Decoding is then two table lookups per input byte, with no branching on single bits.
package enum HPACKHuffmanDecoder {
    private struct Transition {
        var next: UInt8 = 0
        var symbol: UInt8 = 0
        var flags: UInt8 = 0
    }

    /// The transition completes `symbol`.
    private static let emits: UInt8 = 1
    /// The transition completes EOS, which a string must not contain.
    private static let fails: UInt8 = 2
    /// The state reached is a valid end: the bits since the last symbol are at most 7 ones, the
    /// only padding RFC 7541 §5.2 allows.
    private static let accepts: UInt8 = 4

    /// `transitions[state << 4 | nibble]`, built from the code once.
    private static let transitions: [Transition] = {
        // The tree: node 0 is the root; children[node] holds (zero, one); a child at or above
        // `leafBase` is the leaf of symbol `child - leafBase`.
        let leafBase = 1 << 10
        var children: [(Int, Int)] = [(-1, -1)]
        for symbol in 0...HPACKHuffman.eos {
            let length = Int(HPACKHuffman.lengths[symbol])
            let code = Int(HPACKHuffman.codes[symbol])
            var node = 0
            for bitIndex in stride(from: length - 1, through: 0, by: -1) {
                let bit = code >> bitIndex & 1
                let child = bit == 0 ? children[node].0 : children[node].1
                let next: Int
                if bitIndex == 0 {
                    next = leafBase + symbol
                } else if child >= 0 {
                    next = child
                } else {
                    next = children.count
                    children.append((-1, -1))
                }
                if bit == 0 { children[node].0 = next } else { children[node].1 = next }
                node = next
            }
        }
        precondition(children.count == 256, "the HPACK Huffman tree has 256 inner nodes")

        // Inner nodes reached from the root by at most seven one-bits: valid padding.
        var accepting = [Bool](repeating: false, count: children.count)
        var node = 0
        for depth in 0...7 {
            accepting[node] = true
            if depth < 7 { node = children[node].1 }
        }

        var table = [Transition](repeating: Transition(), count: children.count * 16)
        for state in 0..<children.count {
            for nibble in 0..<16 {
                var transition = Transition()
                var node = state
                for bitIndex in stride(from: 3, through: 0, by: -1) {
                    let child = nibble >> bitIndex & 1 == 0 ? children[node].0 : children[node].1
                    guard child >= leafBase else {
                        node = child
                        continue
                    }
                    let symbol = child - leafBase
                    if symbol == HPACKHuffman.eos {
                        transition.flags |= fails
                    } else {
                        transition.flags |= emits
                        transition.symbol = UInt8(symbol)
                    }
                    node = 0
                }
                transition.next = UInt8(node)
                if accepting[node] { transition.flags |= accepts }
                table[state << 4 | nibble] = transition
            }
        }
        return table
    }()

    /// Decodes `input` into `output` and returns the number of octets written, or nil when the
    /// decoded string would not fit in `output` (the caller's size limit).
    package static func decode(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(HPACKError) -> Int? {
        try transitions.withUnsafeBufferPointer { table throws(HPACKError) -> Int? in
            var state = 0
            var accepting = true
            var written = 0
            // Takes one nibble; false when the output is full.
            func step(_ nibble: UInt8) throws(HPACKError) -> Bool {
                let transition = table[state << 4 | Int(nibble)]
                if transition.flags & fails != 0 { throw .huffmanEOS }
                if transition.flags & emits != 0 {
                    guard written < output.count else { return false }
                    output[written] = transition.symbol
                    written += 1
                }
                state = Int(transition.next)
                accepting = transition.flags & accepts != 0
                return true
            }
            for byte in input {
                guard try step(byte >> 4), try step(byte & 0x0F) else { return nil }
            }
            guard accepting else { throw .invalidHuffmanPadding }
            return written
        }
    }
}
