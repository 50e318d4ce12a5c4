package io.ffmepoll.bench.ffm;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One example server for a whole test class: started before its first test, stopped gracefully
 * after its last (the stop checks the exit and the counter lines), killed if that fails.
 * {@snippet :
 * @RegisterExtension
 * static final SharedServer server = new SharedServer("echo", 2);
 * }
 */
final class SharedServer implements BeforeAllCallback, AfterAllCallback {

    private final String proto;
    private final int loops;
    private ServerProcess process;

    SharedServer(String proto, int loops) {
        this.proto = proto;
        this.loops = loops;
    }

    /** The port the server listens on. */
    int port() {
        return process.port();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        process = ServerProcess.start(proto, loops);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            process.stopGracefully(loops);
        } finally {
            process.close();
        }
    }
}
