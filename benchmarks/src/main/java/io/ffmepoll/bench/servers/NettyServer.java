package io.ffmepoll.bench.servers;

import io.ffmepoll.bench.common.Args;
import io.ffmepoll.bench.common.HttpHello;
import io.ffmepoll.bench.common.ServerTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Netty's JNI epoll transport ({@code bench serve --impl netty}) or its io_uring transport
 * ({@code --impl netty-uring}: {@link NettyUringServer}), with K event loops shared by the listener and the connections
 * (so K=1 is one thread doing everything, like the other servers). Echo writes the received
 * buffer back; HTTP parses with the shared {@link HttpHello} rules. Reading pauses while the
 * channel is not writable so memory stays bounded.
 * <p>{@code --tls [--cert PEM --key PEM]}: the same over TLS 1.3 with Netty's {@code SslHandler}
 * and the JDK's provider (the engine the ffm server uses), for a like-for-like comparison.
 */
public final class NettyServer {

    /**
     * Exit status of a server whose transport this kernel or container does not offer; its one
     * line on stderr says why, and {@code bench compare} lists it as not measured for that reason.
     */
    public static final int UNAVAILABLE = 3;

    /** One of Netty's native transports: the event-loop handler and the listening channel type. */
    enum Transport {
        EPOLL("epoll", Epoll::isAvailable, Epoll::unavailabilityCause, EpollIoHandler::newFactory,
                EpollServerSocketChannel.class),
        IO_URING("io_uring", IoUring::isAvailable, IoUring::unavailabilityCause, IoUringIoHandler::newFactory,
                IoUringServerSocketChannel.class);

        final String name;
        final java.util.function.BooleanSupplier available;
        final java.util.function.Supplier<Throwable> cause;
        final java.util.function.Supplier<IoHandlerFactory> factory;
        final Class<? extends ServerChannel> channel;

        Transport(String name, java.util.function.BooleanSupplier available, java.util.function.Supplier<Throwable> cause,
                  java.util.function.Supplier<IoHandlerFactory> factory, Class<? extends ServerChannel> channel) {
            this.name = name;
            this.available = available;
            this.cause = cause;
            this.factory = factory;
            this.channel = channel;
        }

        /**
         * Why the transport cannot run here, in one sentence (Netty's cause is an exception chain,
         * often with the reason three levels down), or null when it can.
         */
        String unavailable() {
            if (available.getAsBoolean()) return null;
            Throwable root = cause.get();
            while (root != null && root.getCause() != null) root = root.getCause();
            String why = root == null ? "no reason given" : String.valueOf(root.getMessage()).replace('\n', ' ').trim();
            String sentence = "Netty's " + name + " transport is unavailable here: " + why;
            if (this == IO_URING) {
                String sysctl = readSysctl("/proc/sys/kernel/io_uring_disabled");
                if (sysctl != null && !sysctl.equals("0")) sentence += " (sysctl kernel.io_uring_disabled = " + sysctl + ")";
                else if (why.contains("not permitted") || why.contains("EPERM")) sentence += " (io_uring_setup refused, e.g. by a seccomp filter)";
            }
            return sentence + ".";
        }
    }

    private static String readSysctl(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public static void main(String[] argv) throws Exception {
        serve(argv, Transport.EPOLL);
    }

    /** Serves echo or HTTP on {@code transport}; exits with {@link #UNAVAILABLE} if it cannot run here. */
    static void serve(String[] argv, Transport transport) throws Exception {
        Args args = new Args(argv);
        boolean http = ServerMain.httpProto(args);
        io.ffmepoll.bench.common.Work.configure(args.get("work", "none"));
        int loops = (int) args.number("loops", 1);
        String unavailable = transport.unavailable();
        if (unavailable != null) {
            System.err.println(unavailable);
            System.exit(UNAVAILABLE);
        }
        SslContext tls = null;
        if (args.flag("tls")) {
            ServerTls material = ServerTls.load(args.get("cert", null), args.get("key", null));
            tls = SslContextBuilder.forServer(material.key(), material.chain()).sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3").build();
        }
        SslContext sslContext = tls;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, transport.factory.get());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.channel)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (sslContext != null) ch.pipeline().addLast(sslContext.newHandler(ch.alloc()));
                        ch.pipeline().addLast(http ? new Http() : ECHO);
                    }
                });
        Channel server = b.bind(new InetSocketAddress(ServerMain.host(args), (int) args.number("port", 0)))
                .sync().channel();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)));
        ServerMain.announce(((InetSocketAddress) server.localAddress()).getPort());
        server.closeFuture().sync();
    }

    private static final Echo ECHO = new Echo();

    /**
     * Flushes once per read burst, and stops reading while the channel is unwritable so a peer
     * that does not read cannot grow the outbound buffer without bound.
     */
    abstract static class FlowControlled extends ChannelInboundHandlerAdapter {
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) ctx.channel().config().setAutoRead(false);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    @ChannelHandler.Sharable
    static final class Echo extends FlowControlled {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.ffmepoll.bench.common.Work.perBytes(((io.netty.buffer.ByteBuf) msg).readableBytes());
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Accumulates request bytes in one buffer per connection and answers whole requests. */
    static final class Http extends FlowControlled {
        private ByteBuf pending;
        private boolean closing;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (closing) {
                in.release();
                return;
            }
            if (pending == null) {
                pending = in;
            } else {
                if (pending.writableBytes() < in.readableBytes()) {
                    ByteBuf bigger = ctx.alloc().directBuffer(pending.readableBytes() + in.readableBytes());
                    bigger.writeBytes(pending);
                    pending.release();
                    pending = bigger;
                }
                pending.writeBytes(in);
                in.release();
            }
            ByteBuffer view = pending.nioBuffer(pending.readerIndex(), pending.readableBytes());
            int start = 0;
            int end = view.limit();
            int count = 0;
            byte[] error = null;
            while (true) {
                int len = HttpHello.parse(view, start, end);
                if (len == HttpHello.INCOMPLETE) break;
                if (len < 0) {
                    error = len == HttpHello.BAD ? HttpHello.BAD_REQUEST : HttpHello.TOO_LARGE;
                    break;
                }
                start += len;
                count++;
            }
            if (count > 0) {
                ByteBuf out = ctx.alloc().directBuffer(count * HttpHello.RESPONSE.length);
                for (int i = 0; i < count; i++) out.writeBytes(HttpHello.RESPONSE);
                ctx.write(out, ctx.voidPromise());
            }
            if (error != null) {
                closing = true;
                ctx.writeAndFlush(ctx.alloc().directBuffer(error.length).writeBytes(error))
                        .addListener(ChannelFutureListener.CLOSE);
                release();
                return;
            }
            pending.skipBytes(start);
            if (!pending.isReadable()) {
                release();
            } else {
                pending.discardReadBytes();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void release() {
            if (pending != null) {
                pending.release();
                pending = null;
            }
        }
    }
}
