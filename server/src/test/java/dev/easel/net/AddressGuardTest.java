package dev.easel.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SSRF guard, with a table standing in for DNS: no network is needed. */
class AddressGuardTest {
    private static final Map<String, List<String>> DNS = Map.of(
            "hooks.example.test", List.of("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
            "metadata.example.test", List.of("169.254.169.254"),
            "intranet.example.test", List.of("10.1.2.3"),
            "loopback.example.test", List.of("127.0.0.1"),
            "v6-loopback.example.test", List.of("::1"),
            "ula.example.test", List.of("fd12:3456::1"),
            "mixed.example.test", List.of("93.184.215.14", "192.168.1.20"));

    private static final AddressGuard.Resolver TABLE = host -> {
        List<String> ips = DNS.get(host);
        if (ips == null) throw new UnknownHostException(host);
        List<InetAddress> out = new ArrayList<>();
        for (String ip : ips) out.add(InetAddress.getByName(ip)); // literals: parsed, not looked up
        return out;
    };

    private final AddressGuard guard = new AddressGuard(List.of(), TABLE);

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.8.9.10", "::1", "[::1]", "10.0.0.1", "10.255.255.255", "172.16.0.1",
            "172.31.255.255", "192.168.0.1", "169.254.169.254", "169.254.0.1", "fd00::1", "fd00:ec2::254", "fc00::1",
            "fe80::1", "[fe80::1]", "0.0.0.0", "::", "100.64.0.1", "100.100.100.200", "224.0.0.1", "255.255.255.255",
            "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:c0a8:101::1",
            "ff02::1", "198.18.0.1", "192.0.2.1", "2001:db8::1", "fec0::1"})
    void refusesEveryNonPublicAddress(String literal) {
        assertThatThrownBy(() -> guard.resolve(literal)).isInstanceOf(AddressGuard.Refused.class)
                .hasMessageContaining(" is a ").hasMessageEndingWith(" address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"loopback.example.test", "v6-loopback.example.test", "intranet.example.test",
            "metadata.example.test", "ula.example.test", "mixed.example.test"})
    void refusesANameThatResolvesToOne(String host) {
        assertThatThrownBy(() -> guard.resolve(host)).isInstanceOf(AddressGuard.Refused.class)
                .hasMessageStartingWith(host + " resolves to ");
    }

    @Test
    void namesTheReason() {
        assertThatThrownBy(() -> guard.resolve("metadata.example.test"))
                .hasMessage("metadata.example.test resolves to 169.254.169.254, a cloud metadata address");
        assertThatThrownBy(() -> guard.resolve("10.0.0.1")).hasMessage("10.0.0.1 is a private address");
        assertThatThrownBy(() -> guard.resolve("fd00::1")).hasMessageContaining("unique local (private)");
    }

    @Test
    void letsPublicAddressesThroughAndReturnsWhatItChecked() throws Exception {
        assertThat(guard.resolve("hooks.example.test")).extracting(InetAddress::getHostAddress)
                .containsExactly("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c");
        assertThat(guard.resolve("8.8.8.8")).extracting(InetAddress::getHostAddress).containsExactly("8.8.8.8");
        assertThat(guard.resolve("[2606:4700:4700::1111]")).hasSize(1);
        assertThat(guard.resolve("172.32.0.1")).hasSize(1);
        assertThat(guard.resolve("100.128.0.1")).hasSize(1);
        assertThat(guard.resolve("64:ff9b::808:808")).as("NAT64 of a public address").hasSize(1);
    }

    @Test
    void unknownNamesAreNotRefusalsButLookupFailures() {
        assertThatThrownBy(() -> guard.resolve("nowhere.example.test")).isInstanceOf(UnknownHostException.class);
    }

    @Test
    void theOperatorsSettingAllowsPrivateTargets() throws Exception {
        AddressGuard open = new AddressGuard(AddressRange.ALL, TABLE);
        assertThat(open.resolve("127.0.0.1")).hasSize(1);
        assertThat(open.resolve("metadata.example.test")).extracting(InetAddress::getHostAddress).containsExactly("169.254.169.254");
    }

    @Test
    void anAllowListOpensOnlyItsOwnRanges() throws Exception {
        AddressGuard some = new AddressGuard(AddressRange.parseList("10.1.0.0/16, fd00:1::/32,127.0.0.1"), TABLE);
        assertThat(some.resolve("10.1.200.3")).hasSize(1);
        assertThat(some.resolve("fd00:1:2::3")).hasSize(1);
        assertThat(some.resolve("127.0.0.1")).hasSize(1);
        assertThatThrownBy(() -> some.resolve("10.2.0.1")).isInstanceOf(AddressGuard.Refused.class);
        assertThatThrownBy(() -> some.resolve("127.0.0.2")).isInstanceOf(AddressGuard.Refused.class);
        assertThatThrownBy(() -> some.resolve("fd00:2::1")).isInstanceOf(AddressGuard.Refused.class);
        assertThatThrownBy(() -> some.resolve("169.254.169.254")).hasMessageContaining("cloud metadata");
    }

    @Test
    void rangesAreIpLiteralsWithAValidPrefix() {
        assertThat(AddressRange.parse("192.168.7.9/24").contains(literal("192.168.7.200"))).isTrue();
        assertThat(AddressRange.parse("192.168.7.9/24").contains(literal("192.168.8.1"))).isFalse();
        assertThat(AddressRange.parse("10.0.0.0/9").contains(literal("10.127.255.255"))).isTrue();
        assertThat(AddressRange.parse("10.0.0.0/9").contains(literal("10.128.0.0"))).isFalse();
        assertThat(AddressRange.parse("::/0").contains(literal("10.0.0.1"))).as("no IPv4 in an IPv6 range").isFalse();
        assertThat(AddressRange.parseList(" ")).isEmpty();
        assertThatThrownBy(() -> AddressRange.parse("intranet.example")).hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> AddressRange.parse("10.0.0.0/33")).hasMessageContaining("0..32");
        assertThatThrownBy(() -> AddressRange.parse("10.0.0.0/x")).hasMessageContaining("prefix");
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
