package io.ffmepoll.internal.sys;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Which os.arch values have bindings; the child-JVM refusal is UnsupportedArchitectureTest. */
class ArchTest {

    @Test
    void onlyX86_64AndAarch64HaveBindings() {
        assertEquals(Arch.X86_64, Arch.of("amd64"));
        assertEquals(Arch.X86_64, Arch.of("x86_64"));
        assertEquals(Arch.AARCH64, Arch.of("aarch64"));
        for (String other : new String[] {"riscv64", "ppc64le", "s390x", "loongarch64", "arm", "x86", "i386"}) {
            assertNull(Arch.of(other), other);
        }
    }

    @Test
    void theRefusalIsOneSentenceNamingTheArchitecture() {
        assertEquals("ffm-epoll has bindings for Linux on x86-64 and aarch64 only, and this JVM runs on os.arch=ppc64le",
                Arch.unsupported("ppc64le").getMessage());
    }

    @Test
    void noGeneratedPackageIsExported() {
        ModuleDescriptor module = Arch.class.getModule().getDescriptor();
        assumeTrue(module != null, "the tests run on the class path: no module descriptor to read");
        Set<String> packages = module.packages();
        for (String arch : new String[] {"x86_64", "aarch64"}) {
            assertTrue(packages.contains("io.ffmepoll.internal.gen." + arch), arch);
        }
        for (ModuleDescriptor.Exports e : module.exports()) {
            assertFalse(e.source().startsWith("io.ffmepoll.internal"), "exports " + e.source());
        }
    }
}
