package io.ffmepoll.bench.servers;

import io.ffmepoll.bench.common.Args;

import java.io.IOException;
import java.util.function.Consumer;

/** Shared start-up bits of the Java servers: option checks and the {@code listening} line. */
final class ServerMain {
    private ServerMain() {
    }

    static boolean httpProto(Args args) {
        String proto = args.get("proto", "echo");
        return switch (proto) {
            case "echo" -> false;
            case "http" -> true;
            default -> {
                System.err.println("this server speaks --proto echo or http, not '" + proto + "'");
                System.exit(2);
                yield false;
            }
        };
    }

    static String host(Args args) {
        return args.get("host", "127.0.0.1");
    }

    /**
     * {@code --loops K} as the virtual-thread scheduler's parallelism, unless the JVM was
     * started with it; it takes effect only if set before the first virtual thread starts.
     */
    static void virtualThreadParallelism(Args args) {
        String loops = Long.toString(args.number("loops", 1));
        if (System.getProperty("jdk.virtualThreadScheduler.parallelism") == null) {
            System.setProperty("jdk.virtualThreadScheduler.parallelism", loops);
        }
    }

    /** The one line the harness waits for. */
    static void announce(int port) {
        System.out.println("listening " + port);
        System.out.flush();
    }

    /** An accept call: blocks until a connection comes. */
    interface Accept<S> {
        S accept() throws IOException;
    }

    /**
     * Announces {@code port}, then accepts on a virtual thread and serves each connection on a
     * virtual thread of its own, until the process ends. An accept error (EMFILE...) is
     * reported and retried after a millisecond, not at once: the error would repeat.
     */
    static <S> void acceptForever(int port, Accept<S> accept, Consumer<S> serve) {
        Thread acceptor = Thread.ofVirtual().name("acceptor").start(() -> {
            while (true) {
                S s;
                try {
                    s = accept.accept();
                } catch (IOException e) {
                    System.err.println("accept: " + e.getMessage());
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException stop) {
                        return;
                    }
                    continue;
                }
                Thread.ofVirtual().start(() -> serve.accept(s));
            }
        });
        announce(port);
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
