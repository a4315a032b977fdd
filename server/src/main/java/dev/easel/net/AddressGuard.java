package dev.easel.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The SSRF guard: decides which addresses easel may open on a user's behalf (webhooks and image
 * references). A host name is resolved once, here; every address it resolves to must be a
 * public unicast address, and the caller connects to exactly those addresses, so that a second DNS
 * answer cannot point the connection somewhere else.
 */
public final class AddressGuard {
    /** Resolves a host name; the system's DNS in production, a table in tests. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    public static final Resolver SYSTEM_DNS = host -> List.of(InetAddress.getAllByName(host));

    /** The target may not be reached: it is, or resolves to, a non-public address. */
    public static final class Refused extends IOException {
        public Refused(String message) {
            super(message);
        }
    }

    /** An IP literal rather than a name (a colon means IPv6; InetAddress then parses it, never looks it up). */
    static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

    private final List<AddressRange> allowed;
    private final Resolver resolver;

    /**
     * @param allowed the operator's exceptions: non-public addresses that may be reached all the same
     *                ({@link AddressRange#ALL} for development and tests, none by default)
     */
    public AddressGuard(List<AddressRange> allowed, Resolver resolver) {
        this.allowed = List.copyOf(allowed);
        this.resolver = resolver;
    }

    /** The addresses to connect to for {@code host} (a name or an IP literal, in brackets or not). */
    public List<InetAddress> resolve(String host) throws UnknownHostException, Refused {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        // a literal is parsed, never looked up
        boolean literal = IP_LITERAL.matcher(h).matches();
        List<InetAddress> addresses = literal ? List.of(InetAddress.getByName(h)) : resolver.resolve(h);
        if (addresses.isEmpty()) throw new UnknownHostException(h + " has no address");
        for (InetAddress a : addresses) {
            String why = forbidden(a);
            if (why != null && allowed.stream().anyMatch(r -> r.contains(a))) continue;
            if (why != null) {
                throw new Refused(literal ? h + " is a " + why + " address"
                        : h + " resolves to " + a.getHostAddress() + ", a " + why + " address");
            }
        }
        return addresses;
    }

    /** Why {@code a} may not be reached, or null when it is a public unicast address. */
    public static String forbidden(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? forbiddenV4(b, 0) : forbiddenV6(b);
    }

    private static String forbiddenV4(byte[] b, int at) {
        int b0 = b[at] & 0xff, b1 = b[at + 1] & 0xff, b2 = b[at + 2] & 0xff, b3 = b[at + 3] & 0xff;
        if (b0 == 0) return "\"this network\"";
        if (b0 == 10) return "private";
        if (b0 == 100 && (b1 & 0xc0) == 64) return "shared (carrier-grade NAT)";
        if (b0 == 127) return "loopback";
        if (b0 == 169 && b1 == 254) return b2 == 169 && b3 == 254 ? "cloud metadata" : "link-local";
        if (b0 == 172 && (b1 & 0xf0) == 16) return "private";
        if (b0 == 192 && b1 == 0 && b2 == 0) return "reserved";
        if (b0 == 192 && b1 == 0 && b2 == 2 || b0 == 198 && b1 == 51 && b2 == 100 || b0 == 203 && b1 == 0 && b2 == 113) {
            return "documentation";
        }
        if (b0 == 192 && b1 == 168) return "private";
        if (b0 == 198 && (b1 & 0xfe) == 18) return "benchmarking";
        if (b0 >= 224 && b0 < 240) return "multicast";
        if (b0 >= 240) return "reserved";
        return null;
    }

    private static String forbiddenV6(byte[] b) {
        int w0 = (b[0] & 0xff) << 8 | b[1] & 0xff, w1 = (b[2] & 0xff) << 8 | b[3] & 0xff;
        if (zeros(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) return forbiddenV4(b, 12); // ::ffff:a.b.c.d
        if (zeros(b, 0, 15)) return b[15] == 1 ? "loopback" : b[15] == 0 ? "unspecified" : "reserved";
        if (zeros(b, 0, 12)) return "reserved"; // ::a.b.c.d, deprecated
        if (w0 == 0x0064 && w1 == 0xff9b) {
            // NAT64: the embedded IPv4 address decides; 64:ff9b:1::/48 is for local use only
            return zeros(b, 4, 12) ? forbiddenV4(b, 12) : "local NAT64";
        }
        if (w0 == 0x2002) return forbiddenV4(b, 2); // 6to4 carries an IPv4 address
        if (w0 == 0x2001 && w1 == 0x0000) return "Teredo";
        if (w0 == 0x2001 && w1 == 0x0db8) return "documentation";
        if (w0 == 0x0100 && zeros(b, 2, 8)) return "discard-only";
        if ((w0 & 0xfe00) == 0xfc00) return w0 == 0xfd00 && w1 == 0x0ec2 ? "cloud metadata" : "unique local (private)";
        if ((w0 & 0xffc0) == 0xfe80) return "link-local";
        if ((w0 & 0xffc0) == 0xfec0) return "site-local";
        if ((w0 & 0xff00) == 0xff00) return "multicast";
        return null;
    }

    private static boolean zeros(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != 0) return false;
        return true;
    }
}
