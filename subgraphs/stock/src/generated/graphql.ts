import type { GraphQLResolveInfo } from 'graphql';
import type { ProductRecord } from '../store/product.store.js';
import type { ReservationRecord } from '../store/reservation.store.js';
import type { StockContext } from '../context.js';
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
  _FieldSet: { input: unknown; output: unknown; }
};

export type CreateProductInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  initialStock?: InputMaybe<Scalars['Int']['input']>;
  limitedEdition?: InputMaybe<Scalars['Boolean']['input']>;
  name: Scalars['String']['input'];
  price: Scalars['Int']['input'];
  sku: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  archiveProduct: Product;
  /** Internal: the order's held stock has left the shop. Idempotent. */
  commitStock: StockReservation;
  createProduct: Product;
  /** Internal: give the order's held stock back. Idempotent; a later reserve for the order holds nothing. */
  releaseStock: StockReservation;
  /** Internal (order saga): hold every line for the order, or none. Idempotent per order. */
  reserveStock: StockReservation;
  restockProduct: Product;
  updateProduct: Product;
};


export type MutationArchiveProductArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCommitStockArgs = {
  orderId: Scalars['ID']['input'];
};


export type MutationCreateProductArgs = {
  input: CreateProductInput;
};


export type MutationReleaseStockArgs = {
  orderId: Scalars['ID']['input'];
};


export type MutationReserveStockArgs = {
  lines: Array<StockLineInput>;
  orderId: Scalars['ID']['input'];
};


export type MutationRestockProductArgs = {
  id: Scalars['ID']['input'];
  quantity: Scalars['Int']['input'];
};


export type MutationUpdateProductArgs = {
  id: Scalars['ID']['input'];
  input: UpdateProductInput;
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type Product = {
  __typename?: 'Product';
  /** Archived products are inactive and cannot be ordered. */
  active: Scalars['Boolean']['output'];
  /** Units that can still be ordered right now. */
  available: Scalars['Int']['output'];
  description?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  limitedEdition: Scalars['Boolean']['output'];
  name: Scalars['String']['output'];
  /** Price in the currency's minor unit (KRW has none: 3500 is 3,500 won). */
  price: Scalars['Int']['output'];
  /** Unique, e.g. SALT-BREAD: capital letters, digits and hyphens. */
  sku: Scalars['String']['output'];
  soldOut: Scalars['Boolean']['output'];
};

export type ProductConnection = {
  __typename?: 'ProductConnection';
  nodes: Array<Product>;
  pageInfo: PageInfo;
};

export type Query = {
  __typename?: 'Query';
  product?: Maybe<Product>;
  /**
   * The catalogue, oldest first. Archived products are left out unless staff ask for them with
   * includeArchived.
   */
  products: ProductConnection;
};


export type QueryProductArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  availableOnly?: InputMaybe<Scalars['Boolean']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  includeArchived?: InputMaybe<Scalars['Boolean']['input']>;
};

export type ReservationStatus =
  | 'COMMITTED'
  | 'HELD'
  /** A reserve is under way (seen only by a concurrent repeat of it). */
  | 'PENDING'
  | 'REJECTED'
  | 'RELEASED';

export type ReservedLine = {
  __typename?: 'ReservedLine';
  name: Scalars['String']['output'];
  productId: Scalars['ID']['output'];
  quantity: Scalars['Int']['output'];
  unitPrice: Scalars['Int']['output'];
};

export type StockLineInput = {
  productId: Scalars['ID']['input'];
  quantity: Scalars['Int']['input'];
};

export type StockReservation = {
  __typename?: 'StockReservation';
  lines: Array<ReservedLine>;
  orderId: Scalars['ID']['output'];
  /** Why a reservation was rejected: OUT_OF_STOCK or PRODUCT_UNAVAILABLE. */
  reason?: Maybe<Scalars['String']['output']>;
  /** The product that could not be held, when rejected. */
  rejectedProductId?: Maybe<Scalars['ID']['output']>;
  status: ReservationStatus;
};

/**
 * Served by the gateway over graphql-ws (it resolves each message's selection through the
 * supergraph); this subgraph only declares it.
 */
export type Subscription = {
  __typename?: 'Subscription';
  /** Stock level changes, e.g. a limited edition selling out. Public. With a productId the first message is the current state. */
  stockChanged: Product;
};


/**
 * Served by the gateway over graphql-ws (it resolves each message's selection through the
 * supergraph); this subgraph only declares it.
 */
export type SubscriptionStockChangedArgs = {
  productId?: InputMaybe<Scalars['ID']['input']>;
};

export type UpdateProductInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  limitedEdition?: InputMaybe<Scalars['Boolean']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  price?: InputMaybe<Scalars['Int']['input']>;
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
  Product: Product;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Product:
    ( { __typename: 'Product' }
    & GraphQLRecursivePick<FederationTypes['Product'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  CreateProductInput: CreateProductInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Product: ResolverTypeWrapper<ProductRecord>;
  ProductConnection: ResolverTypeWrapper<Omit<ProductConnection, 'nodes'> & { nodes: Array<ResolversTypes['Product']> }>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ReservationStatus: ReservationStatus;
  ReservedLine: ResolverTypeWrapper<ReservedLine>;
  StockLineInput: StockLineInput;
  StockReservation: ResolverTypeWrapper<ReservationRecord>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  UpdateProductInput: UpdateProductInput;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  CreateProductInput: CreateProductInput;
  String: Scalars['String']['output'];
  Int: Scalars['Int']['output'];
  Boolean: Scalars['Boolean']['output'];
  Mutation: Record<PropertyKey, never>;
  ID: Scalars['ID']['output'];
  PageInfo: PageInfo;
  Product: ProductRecord;
  ProductConnection: Omit<ProductConnection, 'nodes'> & { nodes: Array<ResolversParentTypes['Product']> };
  Query: Record<PropertyKey, never>;
  ReservedLine: ReservedLine;
  StockLineInput: StockLineInput;
  StockReservation: ReservationRecord;
  Subscription: Record<PropertyKey, never>;
  UpdateProductInput: UpdateProductInput;
}>;

export type MutationResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  archiveProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationArchiveProductArgs, 'id'>>;
  commitStock?: Resolver<ResolversTypes['StockReservation'], ParentType, ContextType, RequireFields<MutationCommitStockArgs, 'orderId'>>;
  createProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationCreateProductArgs, 'input'>>;
  releaseStock?: Resolver<ResolversTypes['StockReservation'], ParentType, ContextType, RequireFields<MutationReleaseStockArgs, 'orderId'>>;
  reserveStock?: Resolver<ResolversTypes['StockReservation'], ParentType, ContextType, RequireFields<MutationReserveStockArgs, 'lines' | 'orderId'>>;
  restockProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationRestockProductArgs, 'id' | 'quantity'>>;
  updateProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationUpdateProductArgs, 'id' | 'input'>>;
}>;

export type PageInfoResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type ProductResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product'], FederationReferenceType extends FederationReferenceTypes['Product'] = FederationReferenceTypes['Product']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Product']> | FederationReferenceType, FederationReferenceType, ContextType>;
  active?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  available?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  limitedEdition?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  price?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  soldOut?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type ProductConnectionResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['ProductConnection'] = ResolversParentTypes['ProductConnection']> = ResolversObject<{
  nodes?: Resolver<Array<ResolversTypes['Product']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType, RequireFields<QueryProductArgs, 'id'>>;
  products?: Resolver<ResolversTypes['ProductConnection'], ParentType, ContextType, RequireFields<QueryProductsArgs, 'availableOnly' | 'first' | 'includeArchived'>>;
}>;

export type ReservedLineResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['ReservedLine'] = ResolversParentTypes['ReservedLine']> = ResolversObject<{
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  productId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  unitPrice?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type StockReservationResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['StockReservation'] = ResolversParentTypes['StockReservation']> = ResolversObject<{
  lines?: Resolver<Array<ResolversTypes['ReservedLine']>, ParentType, ContextType>;
  orderId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  reason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  rejectedProductId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ReservationStatus'], ParentType, ContextType>;
}>;

export type SubscriptionResolvers<ContextType = StockContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  stockChanged?: SubscriptionResolver<ResolversTypes['Product'], "stockChanged", ParentType, ContextType, Partial<SubscriptionStockChangedArgs>>;
}>;

export type Resolvers<ContextType = StockContext> = ResolversObject<{
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  ProductConnection?: ProductConnectionResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  ReservedLine?: ReservedLineResolvers<ContextType>;
  StockReservation?: StockReservationResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
}>;

