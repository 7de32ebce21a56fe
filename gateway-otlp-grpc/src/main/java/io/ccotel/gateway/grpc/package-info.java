/**
 * The OTLP/gRPC receiver: {@link io.ccotel.gateway.grpc.OtlpGrpcReceiverFactory} (type {@code
 * otlp_grpc}) builds an {@link io.ccotel.gateway.grpc.OtlpGrpcReceiver} from an {@link
 * io.ccotel.gateway.grpc.OtlpGrpcReceiverConfig}. Everything else here is package-private.
 */
package io.ccotel.gateway.grpc;
