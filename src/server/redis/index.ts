export { type AppRedis, closeRedis, createRedis, type RedisConfig } from "./create-redis";
export { stripUnsupportedFlags } from "./script-flags";
export { TcpRequester } from "./tcp-requester";
export { type ChangeSubscriber, createSubscriber, subscriberOn } from "./subscriber";
