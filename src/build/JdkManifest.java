import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the manifest entries that name the JDK running this program.
 * <p>The build runs it with the {@code java} of the toolchain JDK, the one whose javac compiled the
 * library, and the jar takes its entries from the file: Maven's own JVM (often an older one) would
 * otherwise name itself in {@code Build-Jdk} and {@code Created-By}. Usage:
 * {@code java JdkManifest.java <output file>}.
 */
class JdkManifest {
    public static void main(String[] args) throws IOException {
        String version = System.getProperty("java.version");
        String vendor = System.getProperty("java.vendor");
        String manifest = """
                Manifest-Version: 1.0
                Created-By: %s (%s)
                Build-Jdk: %s
                Build-Jdk-Spec: %s
                """.formatted(version, vendor, version, System.getProperty("java.specification.version"));
        Path out = Path.of(args[0]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, manifest);
    }
}
