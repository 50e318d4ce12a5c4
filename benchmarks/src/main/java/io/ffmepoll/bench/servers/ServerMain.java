package io.ffmepoll.bench.servers;

import io.ffmepoll.bench.common.Args;

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
}
