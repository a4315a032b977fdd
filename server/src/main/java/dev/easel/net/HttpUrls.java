package dev.easel.net;

import java.net.URI;

/** The one check of a user-given URL's shape (webhooks, image references, moodboard images). */
public final class HttpUrls {
    private HttpUrls() {}

    /**
     * An absolute http(s) URL with a host and, when it names a port, a port from 1 to 65535 (an
     * unparsable port leaves the URI without a host, so it is refused too).
     */
    public static boolean isHttpUrl(String s) {
        try {
            URI u = new URI(s);
            String scheme = u.getScheme();
            int port = u.getPort();
            return u.isAbsolute() && u.getHost() != null && !u.getHost().isEmpty()
                    && ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                    && (port == -1 || (port >= 1 && port <= 65535));
        } catch (Exception e) {
            return false;
        }
    }
}
