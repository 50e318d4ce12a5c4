package io.ffmepoll.socket;

import io.ffmepoll.internal.gen.Linux;
import io.ffmepoll.internal.gen.tcp_info;

import java.lang.foreign.MemorySegment;

/**
 * A snapshot of a TCP connection's state as the kernel keeps it ({@code TCP_INFO}, read with
 * {@link TcpStream#tcpInfo()}): the fields of {@code struct tcp_info} that tell how a connection
 * is doing. Times are in microseconds, windows in segments, as the kernel reports them.
 * {@snippet :
 * TcpInfo info = stream.tcpInfo();
 * if (info.totalRetransmits() > 0) {
 *     log("%s: rtt %d us +/- %d, cwnd %d, %d retransmitted",
 *             info.stateName(), info.rttMicros(), info.rttVarMicros(), info.sendCongestionWindow(),
 *             info.totalRetransmits());
 * }
 * }
 * <p>An immutable value, safe to share between threads.
 * @param state the TCP state ({@code tcpi_state}), as {@code TCP_ESTABLISHED} = 1; see {@link #stateName()}
 * @param congestionState the congestion-control state ({@code tcpi_ca_state}: 0 open, 1 disorder,
 *        2 CWR, 3 recovery, 4 loss)
 * @param retransmits unrecovered retransmissions of the current timeout ({@code tcpi_retransmits})
 * @param probes unanswered zero-window or keep-alive probes ({@code tcpi_probes})
 * @param rtoMicros the retransmission timeout ({@code tcpi_rto})
 * @param sendMss the maximum segment size for sending ({@code tcpi_snd_mss})
 * @param receiveMss the peer's estimated maximum segment size ({@code tcpi_rcv_mss})
 * @param unacked segments sent and not yet acknowledged ({@code tcpi_unacked})
 * @param lost segments the kernel thinks lost ({@code tcpi_lost})
 * @param retransmitted segments retransmitted and in flight ({@code tcpi_retrans})
 * @param rttMicros the smoothed round-trip time ({@code tcpi_rtt})
 * @param rttVarMicros the round-trip time's mean deviation ({@code tcpi_rttvar})
 * @param sendSlowStartThreshold the slow-start threshold ({@code tcpi_snd_ssthresh}; 2147483647 before the first loss)
 * @param sendCongestionWindow the congestion window, in segments ({@code tcpi_snd_cwnd})
 * @param pathMtu the path MTU ({@code tcpi_pmtu})
 * @param totalRetransmits every retransmission over the connection's life ({@code tcpi_total_retrans})
 */
public record TcpInfo(int state, int congestionState, int retransmits, int probes, long rtoMicros,
                      long sendMss, long receiveMss, long unacked, long lost, long retransmitted,
                      long rttMicros, long rttVarMicros, long sendSlowStartThreshold,
                      long sendCongestionWindow, long pathMtu, long totalRetransmits) {

    /** The kernel's TCP states, indexed by number; the names without their {@code TCP_} prefix. */
    private static final String[] STATES = states();

    private static String[] states() {
        String[] names = new String[Linux.TCP_CLOSING() + 1];
        names[Linux.TCP_ESTABLISHED()] = "ESTABLISHED";
        names[Linux.TCP_SYN_SENT()] = "SYN_SENT";
        names[Linux.TCP_SYN_RECV()] = "SYN_RECV";
        names[Linux.TCP_FIN_WAIT1()] = "FIN_WAIT1";
        names[Linux.TCP_FIN_WAIT2()] = "FIN_WAIT2";
        names[Linux.TCP_TIME_WAIT()] = "TIME_WAIT";
        names[Linux.TCP_CLOSE()] = "CLOSE";
        names[Linux.TCP_CLOSE_WAIT()] = "CLOSE_WAIT";
        names[Linux.TCP_LAST_ACK()] = "LAST_ACK";
        names[Linux.TCP_LISTEN()] = "LISTEN";
        names[Linux.TCP_CLOSING()] = "CLOSING";
        return names;
    }

    /** Reads the fields from a {@code struct tcp_info} the kernel filled (unsigned 32-bit fields widened). */
    static TcpInfo read(MemorySegment t) {
        return new TcpInfo(Byte.toUnsignedInt(tcp_info.tcpi_state(t)), Byte.toUnsignedInt(tcp_info.tcpi_ca_state(t)),
                Byte.toUnsignedInt(tcp_info.tcpi_retransmits(t)), Byte.toUnsignedInt(tcp_info.tcpi_probes(t)),
                u32(tcp_info.tcpi_rto(t)), u32(tcp_info.tcpi_snd_mss(t)), u32(tcp_info.tcpi_rcv_mss(t)),
                u32(tcp_info.tcpi_unacked(t)), u32(tcp_info.tcpi_lost(t)), u32(tcp_info.tcpi_retrans(t)),
                u32(tcp_info.tcpi_rtt(t)), u32(tcp_info.tcpi_rttvar(t)), u32(tcp_info.tcpi_snd_ssthresh(t)),
                u32(tcp_info.tcpi_snd_cwnd(t)), u32(tcp_info.tcpi_pmtu(t)), u32(tcp_info.tcpi_total_retrans(t)));
    }

    private static long u32(int v) {
        return Integer.toUnsignedLong(v);
    }

    /**
     * The state's name, as {@code "ESTABLISHED"} or {@code "CLOSE_WAIT"}.
     * @return the name of {@link #state()}, or {@code "state N"} for a number this build does not know
     */
    public String stateName() {
        return state > 0 && state < STATES.length ? STATES[state] : "state " + state;
    }
}
