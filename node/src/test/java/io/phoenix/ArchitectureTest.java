package io.phoenix;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameEndingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the dependency rules of the code base true: transport → session → router →
 * {cluster, stream} → protocol, config; only the Hazelcast-backed packages import Hazelcast;
 * main code (node, client and protocol) uses public APIs only.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.phoenix");
  }

  @Test
  void onlyTheHazelcastBackedPackagesImportHazelcast() {
    noClasses().that().resideOutsideOfPackages("io.phoenix.cluster..", "io.phoenix.stream..",
            "io.phoenix.node..")
        .should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
        .check(classes);
  }

  @Test
  void protocolDependsOnNothingOfTheNode() {
    noClasses().that().resideInAPackage("io.phoenix.protocol..")
        .should().dependOnClassesThat().resideInAnyPackage("io.phoenix.session..",
            "io.phoenix.router..", "io.phoenix.transport..", "io.phoenix.cluster",
            "io.phoenix.stream..", "io.phoenix.node..", "io.phoenix.cli..")
        .check(classes);
  }

  @Test
  void transportsOnlyAdaptIo() {
    noClasses().that().resideInAPackage("io.phoenix.transport..")
        .should().dependOnClassesThat().resideInAnyPackage("io.phoenix.router..",
            "io.phoenix.cluster", "io.phoenix.stream..", "io.phoenix.node..")
        .check(classes);
  }

  @Test
  void dependenciesPointOneWay() {
    noClasses().that().resideInAPackage("io.phoenix.session..")
        .should().dependOnClassesThat().resideInAnyPackage("io.phoenix.transport..",
            "io.phoenix.node..", "io.phoenix.cli..")
        .check(classes);
    noClasses().that().resideInAPackage("io.phoenix.router..")
        .should().dependOnClassesThat().resideInAnyPackage("io.phoenix.session..",
            "io.phoenix.transport..", "io.phoenix.node..", "io.phoenix.cli..")
        .check(classes);
    noClasses().that().resideInAnyPackage("io.phoenix.cluster", "io.phoenix.stream..")
        .should().dependOnClassesThat().resideInAnyPackage("io.phoenix.session..",
            "io.phoenix.router..", "io.phoenix.transport..", "io.phoenix.node..",
            "io.phoenix.cli..")
        .check(classes);
  }

  @Test
  void noJdkInternals() {
    // e.g. sun.misc.Signal: the node stops through a JVM shutdown hook
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("sun..", "jdk.internal..")
        .check(classes);
  }

  @Test
  void noVertxOrNettyInternals() {
    // e.g. io.vertx.core.buffer.impl.BufferImpl, io.vertx.core.internal.buffer.BufferInternal
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("io.vertx..impl..", "io.vertx.core.internal..", "io.netty..internal..")
        .orShould().dependOnClassesThat(simpleNameEndingWith("Internal")
            .and(resideInAnyPackage("io.vertx..", "io.netty..")))
        .check(classes);
  }
}
