package dev.easel.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A block of addresses in CIDR notation ({@code 10.1.0.0/16}, {@code fd00::/8}, or one address):
 * the operator's exceptions to {@link AddressGuard}'s refusal of non-public addresses.
 */
public record AddressRange(byte[] network, int prefix) {
    /** Every IPv4 and IPv6 address: what {@code --allow-private-targets=true} allows. */
    public static final List<AddressRange> ALL = List.of(parse("0.0.0.0/0"), parse("::/0"));

    public AddressRange {
        network = network.clone();
        if (prefix < 0 || prefix > network.length * 8) throw new IllegalArgumentException("prefix " + prefix + " out of range");
    }

    /**
     * {@code address[/prefix]}, where the address is an IP literal (never a name: a name's addresses can change).
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static AddressRange parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        String address = slash < 0 ? t : t.substring(0, slash);
        if (!AddressGuard.IP_LITERAL.matcher(address).matches()) {
            throw new IllegalArgumentException(text + " is not an IP address or CIDR block");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text + " is not an IP address or CIDR block");
        }
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(text + " has no valid prefix length after /");
            }
            if (prefix < 0 || prefix > bytes.length * 8) {
                throw new IllegalArgumentException(text + ": the prefix length must be 0.." + bytes.length * 8);
            }
        }
        return new AddressRange(bytes, prefix);
    }

    /** A comma-separated list of ranges; blank gives none. */
    public static List<AddressRange> parseList(String text) {
        List<AddressRange> ranges = new ArrayList<>();
        for (String part : text.split(",")) if (!part.isBlank()) ranges.add(parse(part));
        return List.copyOf(ranges);
    }

    public boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != network.length) return false;
        for (int bit = 0; bit < prefix; bit += 8) {
            int bits = Math.min(8, prefix - bit);
            int mask = (0xff << (8 - bits)) & 0xff;
            if ((b[bit / 8] & mask) != (network[bit / 8] & mask)) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressRange r && r.prefix == prefix && java.util.Arrays.equals(r.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(network) + prefix;
    }
}
