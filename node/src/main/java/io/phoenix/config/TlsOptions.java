package io.phoenix.config;

/**
 * TLS of the listeners (config group {@code tls}): one certificate and key, in PEM files, for
 * the TCP listener (TLS) and the HTTP listener (HTTPS and WSS), each switched on separately; the
 * same certificate and key, with {@code caFile}, authenticate this member on the clustered event
 * bus when {@code cluster.tls} is on.
 *
 * <p>Threading: immutable record; safe to share between threads and verticles.
 *
 * @param tcp whether the TCP listener speaks TLS
 * @param http whether the HTTP listener speaks TLS
 * @param certFile PEM certificate (chain) file; required when {@code tcp} or {@code http}
 * @param keyFile PEM private key file; required when {@code tcp} or {@code http}
 * @param caFile PEM CA certificates that cluster members' certificates must chain to; required
 *     with {@code cluster.tls}
 */
public record TlsOptions(boolean tcp, boolean http, String certFile, String keyFile,
    String caFile) {
  /** Default of {@code tls.tcp}: {@value}. */
  public static final boolean DEFAULT_TCP = false;
  /** Default of {@code tls.http}: {@value}. */
  public static final boolean DEFAULT_HTTP = false;
  /** Default of {@code tls.certFile}: none. */
  public static final String DEFAULT_CERT_FILE = "";
  /** Default of {@code tls.keyFile}: none. */
  public static final String DEFAULT_KEY_FILE = "";
  /** Default of {@code tls.caFile}: none. */
  public static final String DEFAULT_CA_FILE = "";

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public TlsOptions {
    ConfigKey.TLS_TCP.checkBoolean(tcp);
    ConfigKey.TLS_HTTP.checkBoolean(http);
    ConfigKey.TLS_CERT_FILE.checkString(certFile);
    ConfigKey.TLS_KEY_FILE.checkString(keyFile);
    ConfigKey.TLS_CA_FILE.checkString(caFile);
    if ((tcp || http) && certFile.isEmpty()) {
      throw new ConfigException("tls.certFile is required when tls.tcp or tls.http is true");
    }
    if ((tcp || http) && keyFile.isEmpty()) {
      throw new ConfigException("tls.keyFile is required when tls.tcp or tls.http is true");
    }
    if (tcp || http) {
      for (String[] f : new String[][] {{"tls.certFile", certFile}, {"tls.keyFile", keyFile}}) {
        Values.checkReadableFile(f[0], f[1]);
      }
    }
  }

  /** Listener TLS without a CA file. */
  public TlsOptions(boolean tcp, boolean http, String certFile, String keyFile) {
    this(tcp, http, certFile, keyFile, DEFAULT_CA_FILE);
  }

  /** @return the options with every default: no TLS */
  public static TlsOptions defaults() {
    return new TlsOptions(DEFAULT_TCP, DEFAULT_HTTP, DEFAULT_CERT_FILE, DEFAULT_KEY_FILE,
        DEFAULT_CA_FILE);
  }

  /** @return whether any listener uses TLS */
  public boolean enabled() {
    return tcp || http;
  }
}
