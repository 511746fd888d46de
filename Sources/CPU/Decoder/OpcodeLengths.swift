// Lengths of instructions swemu decodes but does not (yet) execute, so that a #UD is raised
// at the right place and the disassembly stays in step (SDM Vol. 2, Appendix A opcode maps).

enum OpcodeLengths {
    static func hasModRM(map: UInt8, opcode: UInt8, vex: Bool) -> Bool {
        if vex { return true }
        switch map {
        case 0:
            switch opcode {
            case 0xD8...0xDF, 0x8F, 0xC6, 0xC7, 0xFE, 0xFF, 0xF6, 0xF7: return true
            default: return false
            }
        case 1:
            switch opcode {
            case 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0E, 0x30...0x37, 0x77, 0x80...0x8F,
                 0xA0, 0xA1, 0xA2, 0xA8, 0xA9, 0xAA, 0xC8...0xCF: return false
            default: return true
            }
        default: return true
        }
    }

    static func immediateBytes(map: UInt8, opcode: UInt8, modrmReg: UInt8, osz16: Bool, rexW: Bool, m64: Bool, asz: UInt8, vex: Bool) -> Int {
        switch map {
        case 0:
            switch opcode {
            case 0xC6: return 1
            case 0xC7: return osz16 ? 2 : 4
            case 0xF6: return modrmReg < 2 ? 1 : 0
            case 0xF7: return modrmReg < 2 ? (osz16 ? 2 : 4) : 0
            default: return 0
            }
        case 1:
            switch opcode {
            case 0x0F, 0x70, 0x71, 0x72, 0x73, 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6: return 1
            default: return 0
            }
        case 3: return 1
        default: return 0
        }
    }
}
