import { MeshFileSchema } from './model.js';

/**
 * JSON Schema (draft-07) of the mesh file, published by `meshfed schema` for editors and checked
 * by ajv (schemaCheck.ts). It is the model itself (model.ts): TypeBox's schemas are plain JSON
 * Schema, its bookkeeping kept under symbol keys that JSON.stringify and ajv do not see.
 */
export const meshSchema = MeshFileSchema;
