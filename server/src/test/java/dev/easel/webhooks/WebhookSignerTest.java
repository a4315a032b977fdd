package dev.easel.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {
    /** The test vector published with the Standard Webhooks reference libraries. */
    @Test
    void reproducesTheStandardWebhooksTestVector() {
        byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSigner.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void oneSignaturePerSecretNewestFirst() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        String a = WebhookSigner.newSecret(), b = WebhookSigner.newSecret();
        assertThat(WebhookSigner.signatureHeader(List.of(a, b), "msg_1", 7, body))
                .isEqualTo(WebhookSigner.sign(a, "msg_1", 7, body) + " " + WebhookSigner.sign(b, "msg_1", 7, body));
        assertThat(WebhookSigner.sign(a, "msg_1", 7, body)).isNotEqualTo(WebhookSigner.sign(a, "msg_1", 8, body))
                .isNotEqualTo(WebhookSigner.sign(a, "msg_2", 7, body));
    }

    @Test
    void secretsAreFreshAndHold32Bytes() {
        String s = WebhookSigner.newSecret();
        assertThat(s).startsWith("whsec_").isNotEqualTo(WebhookSigner.newSecret());
        assertThat(Base64.getDecoder().decode(s.substring(6))).hasSize(32);
    }
}
