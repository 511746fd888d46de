/// An architectural exception raised by an instruction (SDM Vol. 3, Table 6-1), carried as a
/// Swift typed throw so the hot path pays nothing until one happens.
public struct Fault: Error, Equatable {
    public var vector: UInt8
    public var errorCode: UInt32
    public var hasErrorCode: Bool
    public init(_ vector: UInt8, _ errorCode: UInt32 = 0, hasErrorCode: Bool = false) {
        self.vector = vector; self.errorCode = errorCode; self.hasErrorCode = hasErrorCode
    }
    public static let de = Fault(0), db = Fault(1), bp = Fault(3), of = Fault(4), br = Fault(5)
    public static let ud = Fault(6), nm = Fault(7), mf = Fault(16), xm = Fault(19)
    public static func df() -> Fault { Fault(8, 0, hasErrorCode: true) }
    public static func ts(_ e: UInt32) -> Fault { Fault(10, e, hasErrorCode: true) }
    public static func np(_ e: UInt32) -> Fault { Fault(11, e, hasErrorCode: true) }
    public static func ss(_ e: UInt32) -> Fault { Fault(12, e, hasErrorCode: true) }
    public static func gp(_ e: UInt32 = 0) -> Fault { Fault(13, e, hasErrorCode: true) }
    public static func pf(_ e: UInt32) -> Fault { Fault(14, e, hasErrorCode: true) }
    public static func ac() -> Fault { Fault(17, 0, hasErrorCode: true) }

    /// Not an exception: a request to leave the execution loop (HLT, debug-exit, reset).
    public static let exitLoop = Fault(0xFF)

    public static let names = ["#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
                               "#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM",
                               "#VE", "#CP"]
    public var name: String { vector < Fault.names.count ? Fault.names[Int(vector)] : "vec\(vector)" }
}
