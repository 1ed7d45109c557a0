package io.phoenix;
public class Main { public static void main(String[] a) { System.out.println(io.phoenix.protocol.v1.Frame.getDefaultInstance()); } }
