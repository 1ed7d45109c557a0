package io.phoenix.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/client.md's example is true: its Java code, taken from the document, compiles against
 * phoenix-client's jar and the jars that artifact brings (nothing of the node: no Hazelcast, no
 * Logback), and runs as its own JVM on that class path against a real node, where bob (a raw
 * protocol client) gets the message, answers it, and acknowledges it as DELIVERED and READ.
 */
class ClientExampleIT {
  private static final Path DOC = Path.of("..", "docs", "client.md");
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);
  private static final Pattern CLASS = Pattern.compile("public class (\\w+)");
  private static final long STEP_SECONDS = 30;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void theDocumentedExampleRunsOnTheClientArtifactAlone() throws Exception {
    List<String> classpath = clientClasspath();
    for (String jar : classpath) {
      String name = Path.of(jar).getFileName().toString();
      assertFalse(name.matches("(hazelcast|vertx-hazelcast|logback|phoenix-node).*"),
          "the client artifact brings " + jar);
    }

    Matcher code = JAVA_BLOCK.matcher(Files.readString(DOC));
    assertTrue(code.find(), "docs/client.md has a Java example");
    Matcher name = CLASS.matcher(code.group(1));
    assertTrue(name.find(), "the example is a whole class");
    Path dir = Files.createDirectories(Path.of("target", "client-example").toAbsolutePath());
    Path source = dir.resolve(name.group(1) + ".java");
    Files.writeString(source, code.group(1));
    Path classes = Files.createDirectories(dir.resolve("classes"));
    compile(source, classes, classpath);

    try (TestNode node = TestNode.start(); Example example = new Example()) {
      Vertx vertx = Vertx.vertx();
      try (TestClient bob = TestClient.login(vertx, Transport.TCP, node, "bob", "bob-phone")) {
        List<String> runClasspath = new ArrayList<>(classpath);
        runClasspath.add(0, classes.toString());
        example.start(runClasspath, name.group(1), node.token("alice"), "bob", "hi bob",
            "tcp://127.0.0.1:" + node.tcpPort());

        example.expect("connected to tcp://127.0.0.1:" + node.tcpPort() + " as alice/");
        example.expect("stored as #1");
        Message m = bob.nextMessage();
        assertEquals("alice", m.getFrom().getEid());
        assertEquals("hi bob", m.getPayload().toStringUtf8());
        assertEquals(1, m.getPeer().getOffset());

        bob.send(TestClient.ack(AckMethod.DELIVERED, "d-1", "alice", "bob", 1).build());
        example.expect("delivered up to #1");
        bob.sendAndAwaitAccepted(TestClient.message("reply-1", "alice")
            .setPayload(com.google.protobuf.ByteString.copyFromUtf8("hi alice")).build());
        example.expect("bob #1: hi alice");
        bob.send(TestClient.ack(AckMethod.READ, "r-1", "alice", "bob", 1).build());
        example.expect("read up to #1");
        assertEquals(0, example.exitCode(), example::output);
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  /** phoenix-client's jar and every jar it brings at run time, as the build wrote them down. */
  private static List<String> clientClasspath() throws IOException {
    Path jar = Path.of(System.getProperty("phoenix.client.jar"));
    Path list = Path.of(System.getProperty("phoenix.client.classpath"));
    assertTrue(Files.isRegularFile(jar), "no client jar at " + jar);
    List<String> out = new ArrayList<>();
    out.add(jar.toString());
    for (String entry : Files.readString(list).trim().split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        out.add(entry);
      }
    }
    return out;
  }

  private static void compile(Path source, Path classes, List<String> classpath) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    Boolean ok = javac.getTask(diagnostics, null, null,
        List.of("--release", "17", "-Xlint:all,-classfile", "-Werror", "-d", classes.toString(),
            "-classpath", String.join(File.pathSeparator, classpath)),
        null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)
            .getJavaFileObjects(source.toFile())).call();
    assertTrue(ok, () -> "the example does not compile:\n" + diagnostics);
  }

  /** The example as its own JVM; its stdout is read line by line. */
  private static final class Example implements AutoCloseable {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder output = new StringBuilder();
    private Process process;

    void start(List<String> classpath, String mainClass, String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(
          NodeProcess.java(), "-Xmx256m",
          "-cp", String.join(File.pathSeparator, classpath), mainClass));
      command.addAll(List.of(args));
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            System.out.println("example: " + line);
            synchronized (output) {
              output.append(line).append('\n');
            }
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the process went away
        }
      }, "client-example-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits for a line of output that contains {@code text}. */
    void expect(String text) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_SECONDS);
      while (System.nanoTime() < deadline) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line != null && line.contains(text)) {
          return;
        }
        if (line == null && !process.isAlive() && lines.isEmpty()) {
          break;
        }
      }
      fail("the example did not print \"" + text + "\"; its output:\n" + output());
    }

    int exitCode() throws InterruptedException {
      assertTrue(process.waitFor(STEP_SECONDS, TimeUnit.SECONDS),
          () -> "the example did not exit; its output:\n" + output());
      return process.exitValue();
    }

    String output() {
      synchronized (output) {
        return output.toString();
      }
    }

    @Override
    public void close() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
