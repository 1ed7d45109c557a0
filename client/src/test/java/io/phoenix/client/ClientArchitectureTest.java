package io.phoenix.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The client library stands alone: of the node's code it uses only the protocol package. */
class ClientArchitectureTest {

  @Test
  void theClientDependsOnlyOnTheProtocol() {
    classes().that().resideInAPackage("io.phoenix.client..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("io.phoenix.client..",
            "io.phoenix.protocol..", "java..", "javax..", "io.vertx..", "com.google.protobuf..",
            "org.slf4j..")
        .check(new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.phoenix.client", "io.phoenix.protocol"));
  }
}
