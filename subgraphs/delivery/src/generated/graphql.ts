import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { BakerRecord } from '../store/baker.store.js';
import type { DeliveryRecord } from '../store/delivery.store.js';
import type { DeliveryContext } from '../context.js';
export type Maybe<T> = T | null | undefined;
export type InputMaybe<T> = T | null | undefined;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  DateTime: { input: Date | string; output: Date | string; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type Baker = {
  __typename?: 'Baker';
  active: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  openOrders: Scalars['Int']['output'];
};

export type Delivery = {
  __typename?: 'Delivery';
  baker?: Maybe<Baker>;
  /** The promise time passed before completion. */
  delayed: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  status: DeliveryStatus;
  updatedAt: Scalars['DateTime']['output'];
};

export type DeliveryStatus =
  | 'ASSIGNED'
  | 'BAKING'
  | 'CANCELLED'
  | 'COMPLETED'
  | 'OUT_FOR_DELIVERY'
  | 'READY';

export type Fulfilment =
  | 'DELIVERY'
  | 'PICKUP';

/** Staff move an assigned order on: ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED. */
export type Mutation = {
  __typename?: 'Mutation';
  /** From READY for pickup, from OUT_FOR_DELIVERY for delivery. */
  completeOrder: Order;
  /** Delivery orders only. */
  dispatchOrder: Order;
  markReady: Order;
  startBaking: Order;
  /**
   * Internal (order, when a customer cancels): withdraw the order's delivery before baking starts.
   * An ASSIGNED delivery is cancelled; an order not assigned yet gets a cancelled placeholder, so a
   * late assignment gives it no baker. Once baking has started it is INVALID_TRANSITION: this and
   * startBaking are one conditional update of the same document, so exactly one of them wins.
   * Idempotent.
   */
  withdrawDelivery: Delivery;
};


/** Staff move an assigned order on: ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED. */
export type MutationCompleteOrderArgs = {
  orderId: Scalars['ID']['input'];
};


/** Staff move an assigned order on: ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED. */
export type MutationDispatchOrderArgs = {
  orderId: Scalars['ID']['input'];
};


/** Staff move an assigned order on: ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED. */
export type MutationMarkReadyArgs = {
  orderId: Scalars['ID']['input'];
};


/** Staff move an assigned order on: ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED. */
export type MutationStartBakingArgs = {
  orderId: Scalars['ID']['input'];
};


/** Staff move an assigned order on: ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED. */
export type MutationWithdrawDeliveryArgs = {
  fulfilment: Fulfilment;
  orderId: Scalars['ID']['input'];
};

export type Order = {
  __typename?: 'Order';
  delivery?: Maybe<Delivery>;
  id: Scalars['ID']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** Staff: every baker, active first. */
  bakers: Array<Baker>;
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = ResolversObject<{
  Delivery: Delivery;
  Order: Order;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Delivery:
    ( { __typename: 'Delivery' }
    & GraphQLRecursivePick<FederationTypes['Delivery'], {"id":true}> );
  Order:
    ( { __typename: 'Order' }
    & GraphQLRecursivePick<FederationTypes['Order'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  Baker: ResolverTypeWrapper<BakerRecord>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Delivery: ResolverTypeWrapper<DeliveryRecord>;
  DeliveryStatus: DeliveryStatus;
  Fulfilment: Fulfilment;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Order: ResolverTypeWrapper<Omit<Order, 'delivery'> & { delivery?: Maybe<ResolversTypes['Delivery']> }>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  Baker: BakerRecord;
  Boolean: Scalars['Boolean']['output'];
  ID: Scalars['ID']['output'];
  String: Scalars['String']['output'];
  Int: Scalars['Int']['output'];
  DateTime: Scalars['DateTime']['output'];
  Delivery: DeliveryRecord;
  Mutation: Record<PropertyKey, never>;
  Order: Omit<Order, 'delivery'> & { delivery?: Maybe<ResolversParentTypes['Delivery']> } | FederationReferenceTypes['Order'];
  Query: Record<PropertyKey, never>;
}>;

export type BakerResolvers<ContextType = DeliveryContext, ParentType extends ResolversParentTypes['Baker'] = ResolversParentTypes['Baker']> = ResolversObject<{
  active?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  openOrders?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DeliveryResolvers<ContextType = DeliveryContext, ParentType extends ResolversParentTypes['Delivery'] = ResolversParentTypes['Delivery'], FederationReferenceType extends FederationReferenceTypes['Delivery'] = FederationReferenceTypes['Delivery']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Delivery']> | FederationReferenceType, FederationReferenceType, ContextType>;
  baker?: Resolver<Maybe<ResolversTypes['Baker']>, ParentType, ContextType>;
  delayed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['DeliveryStatus'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = DeliveryContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  completeOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationCompleteOrderArgs, 'orderId'>>;
  dispatchOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationDispatchOrderArgs, 'orderId'>>;
  markReady?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationMarkReadyArgs, 'orderId'>>;
  startBaking?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationStartBakingArgs, 'orderId'>>;
  withdrawDelivery?: Resolver<ResolversTypes['Delivery'], ParentType, ContextType, RequireFields<MutationWithdrawDeliveryArgs, 'fulfilment' | 'orderId'>>;
}>;

export type OrderResolvers<ContextType = DeliveryContext, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  delivery?: Resolver<Maybe<ResolversTypes['Delivery']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = DeliveryContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  bakers?: Resolver<Array<ResolversTypes['Baker']>, ParentType, ContextType>;
}>;

export type Resolvers<ContextType = DeliveryContext> = ResolversObject<{
  Baker?: BakerResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Delivery?: DeliveryResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
}>;

