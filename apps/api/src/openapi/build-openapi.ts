import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { OpenApiDocument } from './openapi-document';

/** Builds the admin API document from the controllers and DTOs (SCIM has its own discovery endpoints). */
export function buildOpenApiDocument(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('scim-hub admin API')
    .setDescription('Tenant administration: API clients, sources, authority and correlation rules, audit.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Only the admin API: SCIM routes are described by /ServiceProviderConfig, /ResourceTypes, /Schemas.
  document.paths = Object.fromEntries(
    Object.entries(document.paths).filter(([p]) => p.startsWith('/admin/')),
  );
  app.get(OpenApiDocument).set(document);
}
