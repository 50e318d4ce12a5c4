package io.ffmepoll.epoll;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A seccomp filter on the calling thread only, as a container runtime's profile would install
 * it: one system call answers an errno instead of running. Without {@code SECCOMP_FILTER_FLAG_TSYNC}
 * the filter binds the thread that installs it (and threads it creates) and ends with it, so a
 * test confines it to a thread of its own.
 */
public final class Seccomp {

    /** epoll_pwait2's number in the unified syscall table (x86-64 and aarch64 alike). */
    public static final int NR_EPOLL_PWAIT2 = 441;

    /** recvmmsg's number on this architecture. */
    public static int recvmmsgNumber() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 299;
            case "aarch64" -> 243;
            default -> throw new UnsupportedOperationException(System.getProperty("os.arch"));
        };
    }

    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int PR_SET_SECCOMP = 22;
    private static final int SECCOMP_MODE_FILTER = 2;
    private static final int SECCOMP_RET_ALLOW = 0x7fff_0000;
    private static final int SECCOMP_RET_ERRNO = 0x0005_0000;
    private static final short LD_W_ABS = 0x20;     // BPF_LD | BPF_W | BPF_ABS
    private static final short JEQ_K = 0x15;        // BPF_JMP | BPF_JEQ | BPF_K
    private static final short RET_K = 0x06;        // BPF_RET | BPF_K

    private Seccomp() {}

    /** Makes {@code syscall} fail with {@code errno} on the calling thread, for the rest of its life. */
    public static void deny(int syscall, int errno) throws Exception {
        try {
            install(syscall, errno);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void install(int syscall, int errno) throws Throwable {
        int arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 0xC000_003E;   // AUDIT_ARCH_X86_64
            case "aarch64" -> 0xC000_00B7;           // AUDIT_ARCH_AARCH64
            default -> throw new UnsupportedOperationException(System.getProperty("os.arch"));
        };
        Linker linker = Linker.nativeLinker();
        MethodHandle prctl = linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        // struct seccomp_data: int nr at 0, u32 arch at 4.
        int[][] program = {
                {LD_W_ABS, 0, 0, 4},
                {JEQ_K, 0, 3, arch},                      // another ABI: allow
                {LD_W_ABS, 0, 0, 0},
                {JEQ_K, 0, 1, syscall},
                {RET_K, 0, 0, SECCOMP_RET_ERRNO | errno},
                {RET_K, 0, 0, SECCOMP_RET_ALLOW},
        };
        // Global arena: the kernel copies the program, but the memory is tiny and this keeps
        // it valid for any reader.
        MemorySegment filter = Arena.global().allocate(8L * program.length, 8);
        for (int i = 0; i < program.length; i++) {
            filter.set(ValueLayout.JAVA_SHORT, 8L * i, (short) program[i][0]);
            filter.set(ValueLayout.JAVA_BYTE, 8L * i + 2, (byte) program[i][1]);
            filter.set(ValueLayout.JAVA_BYTE, 8L * i + 3, (byte) program[i][2]);
            filter.set(ValueLayout.JAVA_INT, 8L * i + 4, program[i][3]);
        }
        MemorySegment fprog = Arena.global().allocate(16, 8);   // struct sock_fprog
        fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.length);
        fprog.set(ValueLayout.ADDRESS, 8, filter);
        if ((int) prctl.invokeExact(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
            throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed");
        }
        if ((int) prctl.invokeExact(PR_SET_SECCOMP, (long) SECCOMP_MODE_FILTER, fprog.address(), 0L, 0L) != 0) {
            throw new IllegalStateException("prctl(PR_SET_SECCOMP) failed");
        }
    }
}
