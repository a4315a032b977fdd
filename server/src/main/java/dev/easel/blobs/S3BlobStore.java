package dev.easel.blobs;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, s3proxy…), shared by every
 * node: {@code <prefix><key>}. A PUT is atomic in S3 (an object is visible whole or not at all), so a
 * reader never sees half a file. Credentials come from the AWS SDK's standard chain (environment
 * variables, system properties, the profile file, container and instance roles): none is stored here.
 */
public final class S3BlobStore implements BlobStore {
    /**
     * Where the bucket is and how to address it.
     * @param endpoint  null for AWS itself; else the S3 API's base URL (MinIO, Ceph, R2, s3proxy…)
     * @param region    null for the SDK's region chain (AWS_REGION, the profile), else this one
     * @param pathStyle http://host/bucket/key instead of http://bucket.host/key (most non-AWS servers need it)
     */
    public record Location(String bucket, String prefix, URI endpoint, String region, boolean pathStyle) {
        /** {@code s3://bucket} or {@code s3://bucket/some/prefix}; the prefix always ends with "/" unless empty. */
        public static Location parse(String url, URI endpoint, String region, boolean pathStyle) {
            if (!url.startsWith("s3://")) throw new IllegalArgumentException("not an s3:// URL");
            String rest = url.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1);
            if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new IllegalArgumentException("the bucket name must be 3 to 63 lowercase letters, digits, dots and hyphens (got " + bucket + ")");
            }
            if (!prefix.isEmpty() && !prefix.endsWith("/")) prefix += "/";
            if (prefix.startsWith("/") || prefix.contains("//")) throw new IllegalArgumentException("the prefix has an empty part (" + prefix + ")");
            return new Location(bucket, prefix, endpoint, region, pathStyle);
        }

        @Override
        public String toString() {
            return "s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint);
        }
    }

    private final S3Client s3;
    private final S3Presigner presigner;
    private final Location at;

    public S3BlobStore(Location at) {
        this.at = at;
        // a server named by its endpoint often has no region, and then any name will do: no need to ask the chain (which may wait for instance metadata)
        Region region = at.region() != null ? Region.of(at.region()) : at.endpoint() != null ? Region.US_EAST_1 : defaultRegion();
        S3Configuration service = S3Configuration.builder().pathStyleAccessEnabled(at.pathStyle()).build();
        AwsCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        var builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(60))
                        .build())
                .region(region)
                .credentialsProvider(credentials)
                .serviceConfiguration(service)
                // checksums only where the API requires them: many S3-compatible servers do not take the newer trailers
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        var presign = S3Presigner.builder().region(region).credentialsProvider(credentials)
                .serviceConfiguration(service);
        if (at.endpoint() != null) {
            builder.endpointOverride(at.endpoint());
            presign.endpointOverride(at.endpoint());
        }
        this.s3 = builder.build();
        this.presigner = presign.build();
    }

    /** The SDK's region chain: AWS_REGION, the aws.region property, the profile, instance metadata. */
    private static Region defaultRegion() {
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkException e) {
            throw new Unavailable("no AWS region for the bucket: set --s3-region (EASEL_S3_REGION) or AWS_REGION", e);
        }
    }

    /** Fails with a message that says what is wrong when the bucket cannot be reached or used (run at start). */
    public void check() {
        try {
            s3.headBucket(b -> b.bucket(at.bucket()));
        } catch (SdkException e) {
            throw new Unavailable("cannot use the bucket " + at + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void put(String key, InputStream data, long size, String contentType) {
        try {
            s3.putObject(p -> p.bucket(at.bucket()).key(objectKey(key)).contentType(contentType).contentLength(size),
                    RequestBody.fromInputStream(data, size));
        } catch (SdkException e) {
            throw unavailable("write to", e);
        }
    }

    @Override
    public Optional<Blob> read(String key) {
        if (!KEY.matcher(key).matches()) return Optional.empty();
        try {
            var object = s3.getObject(GetObjectRequest.builder().bucket(at.bucket()).key(objectKey(key)).build());
            return Optional.of(new Blob(object, object.response().contentLength()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw unavailable("read from", e);
        }
    }

    @Override
    public void delete(String key) {
        if (!KEY.matcher(key).matches()) throw new IllegalArgumentException("not a blob key");
        try {
            s3.deleteObject(d -> d.bucket(at.bucket()).key(objectKey(key)));
        } catch (SdkException e) {
            throw unavailable("delete from", e);
        }
    }

    @Override
    public void close() {
        s3.close();
        presigner.close();
    }

    private Unavailable unavailable(String what, SdkException e) {
        return new Unavailable("cannot " + what + " the bucket " + at.bucket() + ": " + e.getMessage(), e);
    }

    /** A URL anyone holding it can GET the object from, for {@code expiry}; made locally (signed), no request. */
    public String presignedUrl(String key, Duration expiry) {
        return presigner.presignGetObject(p -> p.signatureDuration(expiry)
                .getObjectRequest(g -> g.bucket(at.bucket()).key(objectKey(key)))).url().toString();
    }

    /** The object's name in the bucket. */
    public String objectKey(String key) {
        if (!KEY.matcher(key).matches()) throw new IllegalArgumentException("not a blob key");
        return at.prefix() + key;
    }
}
