package io.ffmepoll.internal.sys;

import io.ffmepoll.epoll.Errors;
import io.ffmepoll.socket.AbstractName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every constant and layout the library uses, as the Java side holds it for each architecture,
 * matches that architecture's C headers.
 * <p>The test writes a C file of {@code _Static_assert}s (under {@code target/header-check/})
 * from the values the bindings hold for the architecture: each {@code --include-constant} of
 * jextract/symbols.txt, the size, alignment, member offsets and member sizes of each struct and
 * union, the errno numbers {@link Errors} keeps as literals, and the few limits the library keeps
 * by hand. It includes jextract/linux.h, the same translation unit jextract read, and compiles it
 * with that architecture's GCC ({@code <triple>-gcc -fsyntax-only}), which reads its own headers:
 * the machine's for the machine's architecture, Debian's cross headers for the other. A value
 * that disagrees fails the compile, and the test shows GCC's message.
 * <p>Skipped only where the architecture's compiler is absent; CI installs it.
 */
class BindingsMatchHeadersTest {

    private static final Path BASEDIR = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    private static final String PER_ARCHITECTURE = "# per architecture";

    /** The name in package names and GNU triples: x86_64, aarch64. */
    private static String name(Arch arch) {
        return arch.name().toLowerCase(Locale.ROOT);
    }

    /** The GNU triple: GCC for the architecture is {@code <triple>-gcc}. */
    private static String triple(Arch arch) {
        return name(arch) + "-linux-gnu";
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void everyConstantAndLayoutMatchesTheArchitecturesHeaders(Arch arch) throws Exception {
        String compiler = compiler(arch);
        assumeTrue(compiler != null, triple(arch) + "-gcc is not installed, so the " + name(arch) + " bindings were not"
                + " checked against their headers (Debian: apt-get install gcc-aarch64-linux-gnu, or"
                + " gcc-x86-64-linux-gnu on an aarch64 machine)");
        Path dir = Files.createDirectories(BASEDIR.resolve("target/header-check"));
        Path source = dir.resolve(name(arch) + ".c");
        Files.writeString(source, source(arch));
        Process gcc = new ProcessBuilder(compiler, "-std=gnu11", "-fsyntax-only",
                "-I", BASEDIR.resolve("jextract").toString(), source.toString())
                .redirectErrorStream(true).start();
        String said = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "compiler did not finish");
        assertEquals(0, gcc.exitValue(), "the " + name(arch) + " bindings disagree with " + compiler + "'s headers ("
                + source + "):\n" + said);
    }

    /** The C source of the check for {@code arch}. */
    static String source(Arch target) throws Exception {
        String arch = name(target);
        StringBuilder c = new StringBuilder();
        String macro = switch (target) {
            case X86_64 -> "__x86_64__";
            case AARCH64 -> "__aarch64__";
        };
        c.append("/* Written by BindingsMatchHeadersTest: the values the Java side holds for ").append(arch)
                .append(". */\n#include \"linux.h\"\n#include <limits.h>\n#include <stddef.h>\n\n")
                .append("#ifndef ").append(macro).append("\n#error \"this compiler does not target ").append(arch)
                .append("\"\n#endif\n\n");
        int symbols = 0;
        for (String line : Files.readAllLines(BASEDIR.resolve("jextract/symbols.txt"))) {
            String option = line.replaceAll("#.*", "").strip();
            if (option.isEmpty()) continue;
            String pkg = line.contains(PER_ARCHITECTURE) ? "io.ffmepoll.internal.gen." + arch : "io.ffmepoll.internal.gen";
            String[] kindAndName = option.split("\\s+");
            String name = kindAndName[1];
            switch (kindAndName[0]) {
                case "--include-constant" -> constant(c, arch, name,
                        ((Number) Class.forName(pkg + ".Linux").getMethod(name).invoke(null)).longValue());
                case "--include-struct" -> layout(c, arch, "struct " + name, layoutOf(pkg, name));
                case "--include-union" -> layout(c, arch, "union " + name, layoutOf(pkg, name));
                case "--include-typedef" -> check(c, arch, "sizeof(" + name + ")", layoutOf(pkg, name).byteSize());
                // A function's descriptor is made of the C types above; the JDK's linker applies
                // the architecture's calling convention.
                case "--include-function" -> { }
                default -> throw new AssertionError("unknown option in symbols.txt: " + line);
            }
            symbols++;
        }
        assertTrue(symbols > 100, "symbols.txt read: " + symbols + " symbols");

        c.append("\n/* errno numbers io.ffmepoll.epoll.Errors keeps as literals */\n");
        for (Field f : Errors.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && f.getName().matches("E[A-Z]+")) {
                constant(c, arch, f.getName(), f.getInt(null));
            }
        }
        c.append("\n/* limits kept by hand */\n");
        check(c, arch, "sizeof(((struct sockaddr_un *)0)->sun_path) - 1", AbstractName.MAX_LENGTH);
        check(c, arch, "IOV_MAX", IoScratch.IOV_MAX);
        check(c, arch, "sizeof(int)", IoScratch.FD_SIZE);
        return c.toString();
    }

    /** A macro or enum constant: the Java int is its value read as signed or, if negative, as unsigned. */
    private static void constant(StringBuilder c, String arch, String name, long value) {
        String is = "(long long)(" + name + ") == " + value + "LL";
        if (value < 0 && value >= Integer.MIN_VALUE) {
            is += " || (long long)(" + name + ") == " + Integer.toUnsignedLong((int) value) + "LL";
        }
        c.append("_Static_assert(").append(is).append(", \"").append(name).append(" is ").append(value)
                .append(" in the Java bindings for ").append(arch).append("\");\n");
    }

    private static void check(StringBuilder c, String arch, String expression, long value) {
        c.append("_Static_assert(").append(expression).append(" == ").append(value).append(", \"")
                .append(expression.replace("\"", "\\\"")).append(" is ").append(value)
                .append(" in the Java bindings for ").append(arch).append("\");\n");
    }

    /** Size and alignment of the type; offset and size of each named member. */
    private static void layout(StringBuilder c, String arch, String type, MemoryLayout layout) {
        check(c, arch, "sizeof(" + type + ")", layout.byteSize());
        check(c, arch, "_Alignof(" + type + ")", layout.byteAlignment());
        GroupLayout group = (GroupLayout) layout;
        for (MemoryLayout member : group.memberLayouts()) {
            String name = member.name().orElse("");
            if (!(member instanceof PaddingLayout) && !name.isEmpty() && !name.contains("$")) {
                check(c, arch, "offsetof(" + type + ", " + name + ")",
                        group.byteOffset(MemoryLayout.PathElement.groupElement(name)));
                // A flexible array member (cmsghdr's __cmsg_data) has no size in C.
                if (member.byteSize() > 0) check(c, arch, "sizeof(((" + type + " *)0)->" + name + ")", member.byteSize());
            }
        }
    }

    /**
     * The generated layout of a struct, union or typedef: its class's layout(), or for a typedef
     * of a scalar type, the header class's field of that name.
     */
    private static MemoryLayout layoutOf(String pkg, String name) throws Exception {
        try {
            return (MemoryLayout) Class.forName(pkg + "." + name).getMethod("layout").invoke(null);
        } catch (ClassNotFoundException e) {
            return (MemoryLayout) Class.forName(pkg + ".Linux").getField(name).get(null);
        }
    }

    /** {@code <triple>-gcc} on the PATH, or plain {@code gcc} on a machine of that architecture. */
    private static String compiler(Arch arch) {
        List<String> candidates = new ArrayList<>(List.of(triple(arch) + "-gcc"));
        if (arch == Arch.current()) candidates.add("gcc");
        for (String candidate : candidates) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, candidate))) return candidate;
            }
        }
        return null;
    }
}
