package dev.easel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 by hand over a socket, for requests no well-behaved client sends: lowercase methods,
 * broken chunked framing, oversized URIs and headers, lying Content-Lengths. One exchange per
 * connection: the request is written, the writing side closed, and the answer read to the end.
 */
public final class RawHttp {
    /** The answer; {@code status} is -1 when the server closed without one, and {@code timedOut} when it did not answer in time. */
    public record Answer(int status, Map<String, String> headers, byte[] body, boolean timedOut) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {}

    public static Answer exchange(int port, byte[] request, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(timeoutMillis);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
                s.shutdownOutput();
            } catch (IOException e) {
                // the server may answer (and close) before reading all of a bad request: read what it said
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[16384];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    all.write(buf, 0, n);
                    if (all.size() > 4_000_000) break;
                }
            } catch (SocketTimeoutException e) {
                return parse(all.toByteArray(), true);
            } catch (IOException e) {
                // a reset after the answer: keep what came
            }
            return parse(all.toByteArray(), false);
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach 127.0.0.1:" + port, e);
        }
    }

    public static Answer exchange(int port, String request) {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), 10_000);
    }

    /** The first response in {@code raw}: status line, headers, and a body by Content-Length, chunks, or to the end. */
    static Answer parse(byte[] raw, boolean timedOut) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) return new Answer(-1, Map.of(), raw, timedOut);
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        byte[] rest = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        String length = headers.get("content-length");
        if (length != null) {
            int n = Math.min(Integer.parseInt(length), rest.length);
            return new Answer(status, headers, java.util.Arrays.copyOf(rest, n), timedOut);
        }
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) return new Answer(status, headers, dechunk(rest), timedOut);
        return new Answer(status, headers, rest, timedOut);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        String s = new String(chunked, StandardCharsets.ISO_8859_1);
        while (i < s.length()) {
            int eol = s.indexOf("\r\n", i);
            if (eol < 0) break;
            int size = Integer.parseInt(s.substring(i, eol).split(";")[0].strip(), 16);
            if (size == 0) break;
            out.write(chunked, eol + 2, Math.min(size, chunked.length - eol - 2));
            i = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }
}
