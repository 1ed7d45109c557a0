package io.phoenix.testing;

/** The two client transports every end-to-end test runs over. */
public enum Transport { TCP, WS }
